# A DocumentEntry no HasMember of the SubmissionSet names
test = missing-hasmember
title = A DocumentEntry no HasMember of the SubmissionSet names
actor = registry
send = ITI-42
expect.status = Failure
expect.error = XDSRegistryMetadataError
---
@{sor}
@{ss id=n6 uid=$uid:n6}
@{de id=n6d uid=$uid:n6d}
@{sor-end}
