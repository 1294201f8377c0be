# ITI-18 GetAssociations of an entry in a set and a folder
test = sq-getassociations
title = ITI-18 GetAssociations of an entry in a set and a folder
actor = registry
send = ITI-18
needs = register-one register-two folder-new folder-add-existing
expect.status = Success
expect.count.Association = 2
---
@{query id=urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155}
@{slot name=$uuid value=('$uuid:d1')}
@{query-end}
