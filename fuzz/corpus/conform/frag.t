test = x
actor = registry
send = ITI-18
expect.status = Success
---
@{f a=2} $patient $uuid:y $uid:z $XDSx @{f} @{nope
