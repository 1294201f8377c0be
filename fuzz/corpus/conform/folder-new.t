# ITI-42: a new Folder with a new DocumentEntry
test = folder-new
title = ITI-42: a new Folder with a new DocumentEntry
actor = registry
send = ITI-42
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss3 uid=$uid:ss3}
@{de id=d4 uid=$uid:d4}
@{folder id=f1 uid=$uid:f1}
@{member id=a3 from=ss3 to=d4}
@{member id=a3b from=ss3 to=f1}
@{assoc id=a3c type=urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember from=f1 to=d4}
@{assoc id=a3d type=urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember from=ss3 to=a3c}
@{sor-end}
