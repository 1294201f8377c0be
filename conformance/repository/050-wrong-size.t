# ITI-41 with a size that is not the document's
test = wrong-size
title = ITI-41 with a size that is not the document's
actor = repository
send = ITI-41
attach.d6 = text/plain Document six with a wrong size
expect.status = Failure
expect.error = XDSRepositoryMetadataError
---
@{pnr}
@{ss id=ss6 uid=$uid:ss6}
@{de id=d6 uid=$uid:d6 slots=hash hash=$sha1:d6 size=1}
@{member id=d6-m from=ss6 to=d6}
@{pnr-docs}
@{document id=d6 att=d6}
@{pnr-end}
