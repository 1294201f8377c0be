# RPLC of an entry that does not exist
test = unresolved-reference
title = RPLC of an entry that does not exist
actor = registry
send = ITI-42
expect.status = Failure
expect.error = UnresolvedReferenceException
---
@{sor}
@{ss id=n7 uid=$uid:n7}
@{de id=n7d uid=$uid:n7d}
@{member id=n7a from=n7 to=n7d}
@{assoc id=n7b type=urn:ihe:iti:2007:AssociationType:RPLC from=n7d to=nothere}
@{sor-end}
