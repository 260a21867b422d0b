"""Watch delivery latency: one watcher, N creates; prints 'p50=X ms p99=Y ms (n=N)'."""
import http.client, json, ssl, sys, threading, time, urllib.parse
url, token, ns, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlparse(url)
ctx = ssl._create_unverified_context()
hdr = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
sent, lat, done = {}, [], threading.Event()

def watch():
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
    c.request("GET", f"/api/v1/namespaces/{ns}/configmaps?watch=1&labelSelector=w%3Dlat", headers=hdr)
    r = c.getresponse()
    while len(lat) < n:
        line = r.fp.readline()
        if not line:
            break
        if not line.strip() or line.strip().isalnum() and len(line.strip()) < 9:
            continue  # chunk-size lines when read raw
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        name = ev.get("object", {}).get("metadata", {}).get("name")
        if ev.get("type") == "ADDED" and name in sent:
            lat.append(time.perf_counter() - sent[name])
    done.set()

t = threading.Thread(target=watch, daemon=True); t.start(); time.sleep(0.5)
c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
for i in range(n):
    name = f"lat-{i}"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"w": "lat"}}}
    sent[name] = time.perf_counter()
    c.request("POST", f"/api/v1/namespaces/{ns}/configmaps", json.dumps(body), hdr)
    c.getresponse().read()
done.wait(30)
lat.sort()
if not lat:
    print("no events received"); sys.exit(0)
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
print(f"p50={p(0.5):.2f} ms p99={p(0.99):.2f} ms (n={len(lat)})")
