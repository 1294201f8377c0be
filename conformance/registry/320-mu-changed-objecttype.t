# ITI-57: a stable DocumentEntry's new version as On-Demand:
# XDSObjectTypeError.  The objectType can only change between stable and
# On-Demand, so the test runs for a registry with both options.
test = mu-changed-objecttype
title = ITI-57: a stable entry's new version as On-Demand: XDSObjectTypeError
actor = registry
option = metadata-update on-demand
send = ITI-57
needs = mu-update-document
expect.status = Failure
expect.error = XDSObjectTypeError
---
@{sor}
@{ss id=ss34 uid=$uid:ss34}
@{de id=d34 lid=d30 uid=$uid:d30 slots=od otype=urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248}
@{member-version id=a34 from=ss34 to=d34 prev=2}
@{sor-end}
