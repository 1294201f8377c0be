# ITI-41: a document without its DocumentEntry
test = missing-metadata
title = ITI-41: a document without its DocumentEntry
actor = repository
send = ITI-41
attach.d8 = text/plain Document eight
attach.x8 = text/plain A document nobody described
expect.status = Failure
expect.error = XDSMissingDocumentMetadata
---
@{pnr}
@{ss id=ss8 uid=$uid:ss8}
@{de id=d8 uid=$uid:d8 slots=pnr}
@{member id=d8-m from=ss8 to=d8}
@{pnr-docs}
@{document id=d8 att=d8}@{document id=nothere att=x8}
@{pnr-end}
