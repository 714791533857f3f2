# Saves a spreadsheet as a password-protected xlsx through LibreOffice's UNO API (Debian packages
# libreoffice-calc-nogui and python3-uno; run with /usr/bin/python3). soffice --convert-to cannot
# set a password for xlsx; the "Standard" crypto type is what LibreOffice 7.4 writes without error.
# Usage: /usr/bin/python3 encrypt-xlsx.py SOURCE.fods OUT.xlsx
import os, subprocess, sys, time
import uno
from com.sun.star.beans import NamedValue, PropertyValue


def prop(cls, name, value):
    p = cls()
    p.Name, p.Value = name, value
    return p


proc = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
                         "-env:UserInstallation=file:///tmp/pme-lo-profile",
                         "--accept=socket,host=127.0.0.1,port=2202;urp;"])
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(60):
        try:
            ctx = resolver.resolve("uno:socket,host=127.0.0.1,port=2202;urp;StarOffice.ComponentContext")
            break
        except Exception:
            time.sleep(0.5)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    src, dst = (os.path.abspath(a) for a in sys.argv[1:3])
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop(PropertyValue, "Hidden", True),))
    enc = uno.Any("[]com.sun.star.beans.NamedValue",
                  (prop(NamedValue, "OOXPassword", "synthetic"), prop(NamedValue, "CryptoType", "Standard")))
    uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(dst),
                                   (prop(PropertyValue, "FilterName", "Calc MS Excel 2007 XML"), prop(PropertyValue, "EncryptionData", enc))))
    doc.close(True)
    try:
        desktop.terminate()  # ends soffice.bin, which killing the soffice wrapper below does not
    except Exception:
        pass  # the connection drops as it quits
finally:
    time.sleep(1)
    proc.kill()
