# RAD-69 with a community's homeCommunityId: the gateway asks that
# community (RAD-75) and answers its instance with its home
test = retrieve-routed
title = RAD-69 routed by homeCommunityId: the community's instance, with its home
actor = initiating-imaging-gateway
send = RAD-69
expect.status = Success
expect.error = none
expect.count.DocumentResponse = 1
expect.dicom = $instance
expect.home = $home
---
@{rad69}
@{docreq-home home=$home repo=$repo uid=$instance}
@{rad69-end}
