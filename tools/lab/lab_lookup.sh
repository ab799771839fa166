# lab_lookup.sh: the lab's lookup-service registrations, sourced by
# trellis-lab. Each node registers, through its own HTTP side port, the
# services a vCenter node with an embedded PSC registers (the 36 service
# types the seed counts), each with one endpoint on the node's host and
# the node's machine certificate as SSL trust. Done once per node (the
# registrations live in the replicated directory).

LOOKUP_TYPES="applmgmt certificatemanagement cis.cls cis.vmonapi client
com.vmware.vsan.dp com.vmware.vsphere.client cs.authorization
cs.componentmanager cs.ds cs.eam cs.identity cs.inventory cs.keyvalue
cs.license cs.perfcharts cs.vapi cs.vsm imagebuilder messagebus.config mixed
phservice rbd sca sms sso:admin sso:groupcheck sso:sts topologysvc
vcenterserver vcha vcIntegrity vsan-dps vsan-health vsphereclient vsphereui"

# (a lab made before HTTP ports were recorded: 7080 upwards)
node_http_port() {
	cat "$DIR/$1/http_port" 2>/dev/null || echo $((7080 + $(node_num "$1") - 1))
}
node_http_url() { echo "http://$(node_addr "$1"):$(node_http_port "$1")/lookupservice/sdk"; }

# lookup_register NODE: NODE's registrations (once).
lookup_register() {
	local name=$1
	[ -f "$DIR/$name/registered" ] && return 0
	in_node "$name" python3 - "$(node_http_url "$name")" "$PW" "$(node_host "$name")" \
	    "$name" "$(pki_trust_b64 "$name")" $LOOKUP_TYPES <<'EOF' || return 1
import base64, json, sys, urllib.request
url, pw, host, node, trust, types = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
auth = "Basic " + base64.b64encode(("administrator@vsphere.local:" + pw).encode()).decode()
# well-known endpoint types and protocols; the others follow one pattern
known = {
    "vcenterserver": ("com.vmware.vim", "vmomi", "https://%s:443/sdk"),
    "cs.identity": ("com.vmware.cis.cs.identity.sso", "wsTrust",
                    "https://%s/sts/STSService/vsphere.local"),
    "cs.vapi": ("com.vmware.vapi.endpoint", "vapi.json.https.public", "https://%s:443/api"),
    "sso:sts": ("com.vmware.cis.cs.identity.sso", "wsTrust",
                "https://%s/sts/STSService/vsphere.local"),
    "vsphereui": ("com.vmware.vsphere.client", "https", "https://%s:443/ui"),
}
for t in types:
    etype, proto, eurl = known.get(t, ("com.vmware.cis." + t.replace(":", "."), "https",
                                       "https://%s:443/" + t.replace(":", "-")))
    owner = ("vpxd-" if t == "vcenterserver" else "machine-") + node + "@vsphere.local"
    reg = {"name": t, "description": "%s on %s" % (t, node), "product": "com.vmware.cis",
           "type": t, "version": "6.7", "ownerId": owner,
           "endpoints": [{"type": etype, "protocol": proto, "url": eurl % host,
                          "sslTrust": [trust]}]}
    req = urllib.request.Request(url, data=json.dumps(reg).encode(), method="POST",
                                 headers={"Authorization": auth,
                                          "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=30).read()
    except Exception as e:
        sys.exit("registering %s on %s: %s" % (t, node, e))
EOF
	touch "$DIR/$name/registered"
}
