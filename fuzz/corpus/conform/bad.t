test = x
actor = r
send = ITI-41
attach.d = text/plain
expect.status = Fault
---
$sha1:d @{f b=%a%}