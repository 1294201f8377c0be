# RAD-69 of a known and an unknown instance: PartialSuccess
test = retrieve-partial
title = RAD-69 of a known and an unknown instance: PartialSuccess
actor = imaging-source
send = RAD-69
expect.status = PartialSuccess
expect.error = XDSDocumentUniqueIdError
expect.count.DocumentResponse = 1
expect.dicom = $instance
---
@{rad69}
@{docreq repo=$repo uid=$instance}
@{docreq repo=$repo uid=$uid:nothere}
@{rad69-end}
