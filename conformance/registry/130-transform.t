# ITI-42 XFRM: a transformation of an entry
test = transform
title = ITI-42 XFRM: a transformation of an entry
actor = registry
send = ITI-42
needs = register-two
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss7 uid=$uid:ss7}
@{de id=d7 uid=$uid:d7}
@{member id=a7 from=ss7 to=d7}
@{assoc id=a7b type=urn:ihe:iti:2007:AssociationType:XFRM from=d7 to=d3}
@{sor-end}
