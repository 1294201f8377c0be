# ITI-62 of an object that does not exist
test = delete-unknown
title = ITI-62 of an object that does not exist
actor = registry
send = ITI-62
expect.status = Failure
expect.error = UnresolvedReferenceException
---
@{remove}
@{ref id=nothere}
@{remove-end}
