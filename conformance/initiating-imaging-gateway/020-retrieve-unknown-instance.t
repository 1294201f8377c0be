# RAD-69 of an instance the community does not have: its
# XDSDocumentUniqueIdError passed back
test = retrieve-unknown-instance
title = RAD-69 of an instance the community lacks: its XDSDocumentUniqueIdError
actor = initiating-imaging-gateway
send = RAD-69
expect.status = Failure
expect.error = XDSDocumentUniqueIdError
---
@{rad69}
@{docreq-home home=$home repo=$repo uid=$uid:nothere}
@{rad69-end}
