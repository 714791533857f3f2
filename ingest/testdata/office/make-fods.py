# Writes the flat ODS (.fods) sources of the LibreOffice-written test files in this folder. Synthetic pupils only.
from xml.sax.saxutils import escape, quoteattr

HEAD = '''<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
<office:automatic-styles>
 <number:date-style style:name="Ndmy"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/></number:date-style>
 <number:date-style style:name="Ndmon"><number:day/><number:text> </number:text><number:month number:textual="true"/><number:text> </number:text><number:year number:style="long"/></number:date-style>
 <number:date-style style:name="Ndt"><number:day number:style="long"/><number:text>/</number:text><number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/></number:date-style>
 <number:number-style style:name="Nde" number:language="de" number:country="DE"><number:number number:decimal-places="1" number:min-decimal-places="1" number:min-integer-digits="1"/></number:number-style>
 <style:style style:name="cde" style:family="table-cell" style:data-style-name="Nde"/>
 <style:style style:name="cdate" style:family="table-cell" style:data-style-name="Ndmy"/>
 <style:style style:name="cmon" style:family="table-cell" style:data-style-name="Ndmon"/>
 <style:style style:name="cdt" style:family="table-cell" style:data-style-name="Ndt"/>
 <style:style style:name="ta1" style:family="table"><style:table-properties table:display="true"/></style:style>
 <style:style style:name="tahid" style:family="table"><style:table-properties table:display="false"/></style:style>
</office:automatic-styles>
<office:body><office:spreadsheet>
'''
TAIL = '</office:spreadsheet></office:body></office:document>\n'

def cell(v):
    """v: str -> text; int/float -> number; ('date','2014-05-01'[, style]); ('f', formula, type, value, shown);
    ('span', text, n) -> merged across n columns; None -> empty."""
    if v is None:
        return '<table:table-cell/>'
    if isinstance(v, str):
        return '<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>' % escape(v)
    if isinstance(v, (int, float)):
        return '<table:table-cell office:value-type="float" office:value="%s"><text:p>%s</text:p></table:table-cell>' % (v, v)
    kind = v[0]
    if kind == 'date':
        style = v[2] if len(v) > 2 else 'cdate'
        return '<table:table-cell table:style-name="%s" office:value-type="date" office:date-value="%s"><text:p>%s</text:p></table:table-cell>' % (style, v[1], v[1])
    if kind == 'f':
        _, formula, typ, value = v[:4]
        style = ' table:style-name="cdate"' if typ == 'date' else ''
        if typ == 'string':
            attrs = 'office:value-type="string" office:string-value=%s' % quoteattr(value)
        elif typ == 'date':
            attrs = 'office:value-type="date" office:date-value="%s"' % value
        else:
            attrs = 'office:value-type="float" office:value="%s"' % value
        return '<table:table-cell%s table:formula=%s %s><text:p>%s</text:p></table:table-cell>' % (style, quoteattr('of:' + formula), attrs, escape(str(value)))
    if kind == 'de':
        return '<table:table-cell table:style-name="cde" office:value-type="float" office:value="%s"><text:p>%s</text:p></table:table-cell>' % (v[1], str(v[1]).replace('.', ','))
    if kind == 'lines':
        return '<table:table-cell office:value-type="string">' + ''.join('<text:p>%s</text:p>' % escape(l) for l in v[1:]) + '</table:table-cell>'
    if kind == 'span':
        _, text, n = v
        return ('<table:table-cell table:number-columns-spanned="%d" table:number-rows-spanned="1" office:value-type="string"><text:p>%s</text:p></table:table-cell>' % (n, escape(text))
                + '<table:covered-table-cell table:number-columns-repeated="%d"/>' % (n - 1))
    raise ValueError(v)

def table(name, rows, hidden=False):
    out = ['<table:table table:name=%s table:style-name="%s">' % (quoteattr(name), 'tahid' if hidden else 'ta1')]
    for r in rows:
        out.append('<table:table-row>' + ''.join(cell(c) for c in r) + '</table:table-row>' if r else '<table:table-row><table:table-cell/></table:table-row>')
    out.append('</table:table>')
    return '\n'.join(out)

def write(path, *tables):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(HEAD + '\n'.join(tables) + TAIL)

D = lambda s, st='cdate': ('date', s, st)

# 1. Date cells: dates as real date cells in three display formats, one with a time of day.
write('libreoffice-date-cells.fods', table('Reduced timetables', [
    ['LAESTAB', 'UPN', 'Surname', 'Forename', 'Date of Birth', 'Start Date', 'Planned End Date', 'Hours Per Week', 'Reason', 'Review Date'],
    [8912345, 'E891234526001', 'Smith', 'Ann', D('2014-05-01'), D('2026-09-01'), D('2026-12-18', 'cmon'), 12.5, 'MED', D('2026-10-15T09:30:00', 'cdt')],
    [8912345, 'U891234526002', 'Jones', 'Bob', D('2014-02-13'), D('2026-09-07'), D('2026-08-01'), 10, 'SEMH', None],
    [8912345, 'H891234526003', 'Brown', 'Cat', D('2030-01-01'), D('2026-09-07', 'cmon'), None, 15, 'BEH', None],
]))

# 2. Merged title rows above a decorated header, as a council template or MIS export has them.
write('libreoffice-merged-title.fods', table('AP', [
    [('span', 'Alternative provision return \u2013 Synthetic Academy (autumn term 2026)', 13)],
    [('span', 'One row per pupil. Dates as dd/mm/yyyy. Fields marked * are required.', 13)],
    [],
    ['DfE Number', 'UPN*', 'Legal Surname *', 'Legal Forename *', 'DOB (dd/mm/yyyy)', 'AP Provider', 'Provider URN',
     'Registered (Y/N)', 'AP Start Date', 'AP End Date', 'AP Hours', 'School Hours', 'AP Reason'],
    ['891/2345', 'U891234526002', "O'Brien", '\u0141ukasz', D('2012-05-01'), 'Synthetic Skills Centre', 100123,
     'Yes', D('2026-09-01'), D('2027-07-20'), 12.5, None, 'VOC'],
    ['891/2345', 'H891234526003', 'Nguy\u1ec5n', 'Zo\u00eb', '13/02/2012', 'Synthetic Farm School', 12345,
     'N', D('2026-09-01'), None, 10, 15, 'SEMH'],
]))

# 3. A hidden sheet (a full suspensions table: must not be read), an instructions sheet, and the return.
write('libreoffice-hidden-sheet.fods',
    table('Instructions', [
        ['How to complete this return'],
        ['UPN: the pupil\u2019s Unique Pupil Number, from your MIS.'],
        ['Surname and Forename: the legal names.'],
    ]),
    table('Old data', [
        ['UPN', 'Surname', 'Forename', 'Date of Birth', 'Category', 'Start Date', 'Sessions', 'Reason'],
        ['X891234526004', 'Hidden', 'Row', D('2012-05-01'), 'SUSP', D('2025-10-02'), 2, 'PA'],
    ], hidden=True),
    table('Exclusions', [
        ['LAESTAB', 'UPN', 'Surname', 'Forename', 'Date of Birth', 'Category', 'Start Date', 'Sessions', 'Reason'],
        [8912345, 'L891234526005', 'Black', 'Eve', D('2012-05-01'), 'SUSP', D('2026-10-02'), 4, 'PA'],
    ]),
)

# 4. Formulas: text, number and date results, and an error value; the cached values are read.
write('libreoffice-formulas.fods', table('Suspensions', [
    ['LAESTAB', 'UPN', 'Surname', 'Forename', 'Date of Birth', 'Category', 'Start Date', 'Days', 'Sessions', 'Reason', 'Reason 2'],
    [('f', '=LEFT("8912345 Synthetic School";7)', 'string', '8912345'), ('f', '=UPPER("e891234526001")', 'string', 'E891234526001'),
     'Smith', 'Ann', D('2012-05-01'), 'SUSP', ('f', '=DATE(2026;10;2)', 'date', '2026-10-02'), 2, ('f', '=[.H2]*2', 'float', 4), 'PA', None],
    [('f', '=LEFT("8912345 Synthetic School";7)', 'string', '8912345'), 'U891234526002',
     'Jones', 'Bob', D('2012-05-01'), 'SUSP', ('f', '=DATE(2026;10;9)', 'date', '2026-10-09'), 1.5, ('f', '=[.H3]*2', 'float', 3), 'PA', ('f', '=NA()', 'float', 0)],
]))

# 5. Numbers stored as text, as an MIS export pasted into a sheet leaves them.
write('libreoffice-numbers-as-text.fods', table('Reduced timetables', [
    ['LAESTAB', 'URN', 'UPN', 'Surname', 'Forename', 'Date of Birth', 'NC Year', 'Start Date', 'Hours Per Week', 'Reason'],
    ['8912345', '100123', 'e891234526001 ', 'Smith', 'Ann', '01/05/2014', '08', '46266', '12.5', 'MED'],
    ['8912345', '100123', 'U891234526002', 'Jones', 'Bob', '01/05/2014', 'Year 8', '01/09/2026', '12,5', 'MED'],
    ['8912345', '100123', 'H891234526003', 'Brown', 'Cat', '01/05/2014', '8', '01/09/2026', '12 hrs', 'MED'],
    ['8912345', '100123', 'X891234526004', 'Green', 'Dan', '01/05/2014', '8', '01/09/2026', 'twelve', 'MED'],
]))

# 6. The three returns in one workbook; the AP sheet's "Hours Per Week" also fits the reduced
# timetable return, so its name breaks the tie.
write('libreoffice-three-returns.fods',
    table('Reduced timetables', [
        ['LAESTAB', 'UPN', 'Surname', 'Forename', 'Date of Birth', 'Start Date', 'Hours Per Week', 'Reason'],
        [8912345, 'E891234526001', 'Smith', 'Ann', D('2014-05-01'), D('2026-09-01'), 15, 'MED'],
    ]),
    table('AP', [
        ['LAESTAB', 'UPN', 'Surname', 'Forename', 'Date of Birth', 'Provider Name', 'Start Date', 'Hours Per Week'],
        [8912345, 'U891234526002', 'Jones', 'Bob', D('2012-05-01'), 'Synthetic Skills Centre', D('2026-09-01'), 20],
    ]),
    table('Exclusions', [
        ['LAESTAB', 'UPN', 'Surname', 'Forename', 'Date of Birth', 'Category', 'Start Date', 'Sessions', 'Reason'],
        [8912345, 'H891234526003', 'Brown', 'Cat', D('2012-05-01'), 'LNCH', D('2026-10-05'), None, 'PA'],
    ]),
)

# 7. The source of the CSV files LibreOffice writes: names in Windows-1252's range, hours shown with
# a decimal comma (a German-locale number format, as a European PC shows them), date cells, and a
# note over two lines (a quoted field holding a newline: one row in Excel, two lines in the file).
write('libreoffice-csv-source.fods', table('Reduced timetables', [
    ['Reduced timetables \u2013 Synthetic Primary'],
    [],
    ['LAESTAB', 'UPN', 'Surname', 'Forename', 'Date of Birth', 'Start Date', 'Hours Per Week', 'Reason', 'Notes'],
    [8912345, 'E891234526001', 'Ren\u00e9e', 'Zo\u00eb', D('2016-05-01'), D('2026-09-01'), ('de', 12.5), 'MED', ('lines', 'Review with parent;', 'agreed, 3 weeks')],
    [8912345, 'U891234526002', "O'Brien", 'Se\u00e1n', D('2016-02-13'), '02/13/2026', ('de', 10.5), 'SEMH', None],
    [8912345, 'H891234526003', 'M\u00fcller', 'J\u00fcrgen', D('2016-03-01'), D('2026-09-07'), ('de', 41.0), 'BEH', None],
]))
