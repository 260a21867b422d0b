"""Creates N small pods in a namespace over HTTPS; prints {"json_bytes": total stored JSON size}."""
import http.client, json, ssl, sys, urllib.parse
url, token, ns, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlparse(url)
ctx = ssl._create_unverified_context()
conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
hdr = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
total = 0
for i in range(n):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"pod-{i}", "labels": {"app": "bench", "i": str(i % 10)}},
           "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}
    conn.request("POST", f"/api/v1/namespaces/{ns}/pods", json.dumps(pod), hdr)
    r = conn.getresponse(); body = r.read()
    if r.status != 201:
        sys.exit(f"create failed: {r.status} {body[:200]!r}")
    total += len(body)
print(json.dumps({"json_bytes": total}))
