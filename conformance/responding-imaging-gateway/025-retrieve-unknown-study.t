# RAD-75 of the instance under a study it is not in: XDSDocumentUniqueIdError
# located at the community
test = retrieve-unknown-study
title = RAD-75 of the instance under an unknown study: XDSDocumentUniqueIdError at the community
actor = responding-imaging-gateway
send = RAD-75
expect.status = Failure
expect.error = XDSDocumentUniqueIdError
expect.location = $home
---
@{rad69 study=$uid:otherstudy}
@{docreq-home home=$home repo=$repo uid=$instance}
@{rad69-end}
