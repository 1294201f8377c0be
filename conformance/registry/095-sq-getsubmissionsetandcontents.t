# ITI-18 GetSubmissionSetAndContents: the set, its two entries
test = sq-getsubmissionsetandcontents
title = ITI-18 GetSubmissionSetAndContents: the set, its two entries
actor = registry
send = ITI-18
needs = register-two
expect.status = Success
expect.count.RegistryPackage = 1
expect.count.ExtrinsicObject = 2
expect.count.Association = 2
---
@{query id=urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83}
@{slot name=$XDSSubmissionSetEntryUUID value='$uuid:ss2'}
@{query-end}
