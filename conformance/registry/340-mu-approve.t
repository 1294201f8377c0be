# ITI-57 UpdateAvailabilityStatus back: Deprecated -> Approved
test = mu-approve
title = ITI-57 UpdateAvailabilityStatus of a DocumentEntry: Deprecated to Approved
actor = registry
option = metadata-update
send = ITI-57
needs = mu-deprecated
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss38 uid=$uid:ss38}
@{status id=a38 from=ss38 to=d31 was=Deprecated new=Approved}
@{sor-end}
