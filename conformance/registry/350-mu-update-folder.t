# ITI-57: a new version of the Folder (its logicalId, PreviousVersion 1)
test = mu-update-folder
title = ITI-57: a new version of a Folder
actor = registry
option = metadata-update
send = ITI-57
needs = mu-setup
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss39 uid=$uid:ss39}
@{folder id=f31 lid=f30 uid=$uid:f30 code=18842-5}
@{member-version id=a39 from=ss39 to=f31 prev=1}
@{sor-end}
