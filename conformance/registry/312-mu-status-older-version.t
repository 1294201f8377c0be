# ITI-57 UpdateAvailabilityStatus of a version that is not the latest:
# refused (ITI TF-2 3.57, as NIST 15802b, which pins no error code)
test = mu-status-older-version
title = ITI-57 UpdateAvailabilityStatus of an older version: Failure
actor = registry
option = metadata-update
send = ITI-57
needs = mu-update-document
expect.status = Failure
---
@{sor}
@{ss id=ss41 uid=$uid:ss41}
@{status id=a41 from=ss41 to=d30 was=Deprecated new=Approved}
@{sor-end}
