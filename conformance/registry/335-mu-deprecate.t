# ITI-57 UpdateAvailabilityStatus: the latest version Approved -> Deprecated
test = mu-deprecate
title = ITI-57 UpdateAvailabilityStatus of a DocumentEntry: Approved to Deprecated
actor = registry
option = metadata-update
send = ITI-57
needs = mu-update-document
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss37 uid=$uid:ss37}
@{status id=a37 from=ss37 to=d31 was=Approved new=Deprecated}
@{sor-end}
