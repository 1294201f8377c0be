# ITI-62 of an entry others refer to is refused
test = delete-referenced
title = ITI-62 of an entry others refer to is refused
actor = registry
send = ITI-62
needs = register-one
expect.status = Failure
expect.error = ReferencesExistException
---
@{remove}
@{ref id=d1}
@{remove-end}
