"""A stand-in Jira served over real HTTP, for the demo and the tests.

It speaks Jira's REST API (`/rest/api/2`, `/rest/api/3`, `/rest/webhooks/1.0`) in two flavors, `cloud`
and `datacenter`, with the data of a seed (`sandbox/seeds/*.yaml`). Beside the REST API it serves its
own admin endpoints under `/sandbox/`, without authentication, to play what a person or a site admin
would do in Jira's screens. Each takes and answers JSON; a bad request is a 400 or 404 in Jira's error
shape ({"errorMessages": [...], "errors": {...}}) saying what was wrong.

REST operations served: serverInfo, myself, mypermissions; field (list, create) and, on Cloud, field
contexts and their options; issue (read, create, edit, editmeta, transitions, comments, properties, and
on Cloud the paged changelog); issueLink, issueLinkType; project (list, one, and on Cloud project/search);
search (Cloud's /search/jql, Data Center's /search); webhooks (/rest/webhooks/1.0/webhook). Where Data
Center has no such endpoint it answers 404, as it does. Admins hold every permission; other users hold
the default developer role's, or what their seed entry lists (`permissions: [BROWSE_PROJECTS]`).

Issues, as a person would change them (each change is a changelog entry and a webhook):
  POST   /sandbox/issues/<KEY>     {"status": "Done", "summary": ..., "type": ..., "parent": "PAY-2" | null,
                                    "fields": {"Story Points": 5, "Health": "at-risk"}}  (fields by name)
  POST   /sandbox/issues           {"key": "PAY-40", "type": "Story", "summary": ..., and the above}
  DELETE /sandbox/issues/<KEY>     (an issue with children is refused)

Edit screens, per issue type, site-wide or in one Jira project:
  GET    /sandbox/screens   [{"project": "PAY" or "*", "issuetype": "epic", "off": [names], "on": [names]}]
  POST   /sandbox/screens   {"issuetype": "Epic", "project": "PAY", "off": ["Health"], "on": ["Budget"]}
         `off` takes fields off the edit screen, `on` puts them back; without `project` it applies to every
         project (and overrides what projects said). Answers {"project", "issuetype", "off": [names]}.
         A seed says the same with `screens: {Story: [Budget], PAY: {Epic: [Health]}}`.

Fields, as a site admin would change them:
  POST   /sandbox/fields/<name or id>   {"options": ["On track", "At risk", "Off track"], "type": "select"}
         `options` replaces a select's options (kept values keep their ids; issues holding a removed one
         are left empty); `type` (number, text, date, select, labels) changes the field's type, and issues
         keep only the values the new type can hold. Answers the field as GET /rest/api/2/field lists it,
         plus its "options".

Faults, the request log and webhook deliveries:
  POST   /sandbox/faults           {"rate_429": 0.2, "retry_after": 1, "rate_5xx": 0, "latency_ms": 0,
                                    "page_cap": null, "search_lag_ms": 0, "duplicate_rate": 0, "delay_ms": 0,
                                    "reorder": false, "random_seed": null}   ({} clears every fault)
  GET    /sandbox/faults
  GET    /sandbox/requests         every REST request served: method, path, query, status, time
  DELETE /sandbox/requests
  GET    /sandbox/deliveries       webhook delivery counts and the log of each attempt

`sandbox.server.RunningSandbox` wraps these for tests: `edit`, `create`, `delete`, `screen`,
`edit_field`, `faults`, `requests`, `clear_requests`, `deliveries`.
"""
