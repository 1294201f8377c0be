# ITI-57: a new version of the DocumentEntry (its logicalId, the same
# uniqueId, PreviousVersion 1 on the HasMember)
test = mu-update-document
title = ITI-57: a new version of a DocumentEntry
actor = registry
option = metadata-update
send = ITI-57
needs = mu-setup
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss31 uid=$uid:ss31}
@{de id=d31 lid=d30 uid=$uid:d30 title=Report-v2}
@{member-version id=a31 from=ss31 to=d31 prev=1}
@{sor-end}
