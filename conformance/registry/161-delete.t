# ITI-62: the set, its entry and its association removed
test = delete
title = ITI-62: the set, its entry and its association removed
actor = registry
send = ITI-62
needs = delete-setup
expect.status = Success
expect.error = none
---
@{remove}
@{ref id=ss10}
@{ref id=d10}
@{ref id=a10}
@{remove-end}
