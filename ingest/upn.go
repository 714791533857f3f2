package ingest

import "pme"

// upnLetters maps 0–22 to the UPN check letters: the alphabet without I, O and S.
const upnLetters = "ABCDEFGHJKLMNPQRTUVWXYZ"

// upnLetterIndex is the inverse of upnLetters (-1 for other bytes).
var upnLetterIndex = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(upnLetters); i++ {
		t[upnLetters[i]] = int8(i)
	}
	return t
}()

// UPNCheckLetter computes the check letter of a UPN from its other twelve characters (characters
// 2–13): each is multiplied by its position's weight 2–13, a final letter (a temporary UPN)
// counting as its index in upnLetters; the sum mod 23 indexes upnLetters. ok is false when body12
// is not eleven digits and a digit or check-table letter.
func UPNCheckLetter(body12 string) (byte, bool) {
	if len(body12) != 12 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 12; i++ {
		c := body12[i]
		v := int(c - '0')
		if c < '0' || c > '9' {
			if i != 11 || upnLetterIndex[c] < 0 {
				return 0, false
			}
			v = int(upnLetterIndex[c])
		}
		sum += v * (i + 2)
	}
	return upnLetters[sum%23], true
}

// CheckUPN validates a UPN already trimmed and upper-cased: "" for a valid permanent UPN,
// pme.CodeUPNTemporary for a valid temporary one (final character a letter), pme.CodeUPNFormat
// when it is not 13 characters of the right shape, pme.CodeUPNCheck for a wrong check letter.
func CheckUPN(upn string) string {
	if len(upn) != 13 || upnLetterIndex[upn[0]] < 0 {
		return pme.CodeUPNFormat
	}
	want, ok := UPNCheckLetter(upn[1:])
	if !ok {
		return pme.CodeUPNFormat
	}
	if upn[0] != want {
		return pme.CodeUPNCheck
	}
	if upn[12] >= 'A' && upn[12] <= 'Z' {
		return pme.CodeUPNTemporary
	}
	return ""
}
