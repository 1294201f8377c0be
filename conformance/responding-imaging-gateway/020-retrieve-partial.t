# RAD-75 of a known and an unknown instance: PartialSuccess
test = retrieve-partial
title = RAD-75 of a known and an unknown instance: PartialSuccess
actor = responding-imaging-gateway
send = RAD-75
expect.status = PartialSuccess
expect.error = XDSDocumentUniqueIdError
expect.count.DocumentResponse = 1
expect.dicom = $instance
---
@{rad69}
@{docreq-home home=$home repo=$repo uid=$instance}
@{docreq-home home=$home repo=$repo uid=$uid:nothere}
@{rad69-end}
