# ITI-42: an existing DocumentEntry added to an existing Folder
test = folder-add-existing
title = ITI-42: an existing DocumentEntry added to an existing Folder
actor = registry
send = ITI-42
needs = register-one folder-new
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss4 uid=$uid:ss4}
@{assoc id=a4 type=urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember from=f1 to=d1}
@{assoc id=a4b type=urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember from=ss4 to=a4}
@{sor-end}
