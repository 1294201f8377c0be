# ITI-42 RPLC: a new entry replaces one
test = replace
title = ITI-42 RPLC: a new entry replaces one
actor = registry
send = ITI-42
needs = register-two
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss5 uid=$uid:ss5}
@{de id=d5 uid=$uid:d5}
@{member id=a5 from=ss5 to=d5}
@{assoc id=a5b type=urn:ihe:iti:2007:AssociationType:RPLC from=d5 to=d2}
@{sor-end}
