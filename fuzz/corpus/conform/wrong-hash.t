# ITI-41 with a hash that is not the document's
test = wrong-hash
title = ITI-41 with a hash that is not the document's
actor = repository
send = ITI-41
attach.d5 = text/plain Document five with a wrong hash
expect.status = Failure
expect.error = XDSRepositoryMetadataError
---
@{pnr}
@{ss id=ss5 uid=$uid:ss5}
@{de id=d5 uid=$uid:d5 slots=hash hash=ffffffffffffffffffffffffffffffffffffffff size=$size:d5}
@{member id=d5-m from=ss5 to=d5}
@{pnr-docs}
@{document id=d5 att=d5}
@{pnr-end}
