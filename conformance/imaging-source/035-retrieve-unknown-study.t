# RAD-69 of the instance under a study it is not in
test = retrieve-unknown-study
title = RAD-69 of the instance under a study it is not in
actor = imaging-source
send = RAD-69
expect.status = Failure
expect.error = XDSDocumentUniqueIdError
---
@{rad69 study=$uid:otherstudy}
@{docreq repo=$repo uid=$instance}
@{rad69-end}
