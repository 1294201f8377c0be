# Metadata Update: a DocumentEntry in a Folder, the objects the updates change
test = mu-setup
title = Metadata Update: ITI-42 of a DocumentEntry in a Folder to update
actor = registry
option = metadata-update
send = ITI-42
expect.status = Success
expect.error = none
---
@{sor}
@{ss id=ss30 uid=$uid:ss30}
@{de id=d30 uid=$uid:d30}
@{folder id=f30 uid=$uid:f30}
@{member id=a30 from=ss30 to=d30}
@{member id=a30b from=ss30 to=f30}
@{assoc id=a30c type=urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember from=f30 to=d30}
@{assoc id=a30d type=urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember from=ss30 to=a30c}
@{sor-end}
