# A SubmissionSet uniqueId already registered
test = duplicate-set-uniqueid
title = A SubmissionSet uniqueId already registered
actor = registry
send = ITI-42
needs = register-one
expect.status = Failure
expect.error = XDSDuplicateUniqueIdInRegistry
---
@{sor}
@{ss id=n4 uid=$uid:ss1}
@{de id=n4d uid=$uid:n4d}
@{member id=n4a from=n4 to=n4d}
@{sor-end}
