# ITI-42: a set to remove
test = delete-setup
title = ITI-42: a set to remove
actor = registry
send = ITI-42
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss10 uid=$uid:ss10}
@{de id=d10 uid=$uid:d10}
@{member id=a10 from=ss10 to=d10}
@{sor-end}
