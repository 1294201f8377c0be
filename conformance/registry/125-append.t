# ITI-42 APND: an addendum to an entry, which stays Approved
test = append
title = ITI-42 APND: an addendum to an entry, which stays Approved
actor = registry
send = ITI-42
needs = register-one
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss6 uid=$uid:ss6}
@{de id=d6 uid=$uid:d6}
@{member id=a6 from=ss6 to=d6}
@{assoc id=a6b type=urn:ihe:iti:2007:AssociationType:APND from=d6 to=d1}
@{sor-end}
