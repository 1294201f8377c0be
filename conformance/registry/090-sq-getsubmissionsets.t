# ITI-18 GetSubmissionSets of an entry: its set and the HasMember
test = sq-getsubmissionsets
title = ITI-18 GetSubmissionSets of an entry: its set and the HasMember
actor = registry
send = ITI-18
needs = register-two
expect.status = Success
expect.count.RegistryPackage = 1
expect.count.Association = 1
---
@{query id=urn:uuid:51224314-5390-4169-9b91-b1980040715a}
@{slot name=$uuid value=('$uuid:d2')}
@{query-end}
