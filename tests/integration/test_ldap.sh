#!/usr/bin/env bash
# test_ldap.sh: standard LDAP clients (ldap-utils) against one real vmdird
# node: root DSE, schema subentry, the layout made by --init, bind forms,
# search (scopes, the RFC 4515 filter language, attribute selection,
# limits, paged results, controls), add, modify, delete, modrdn, compare,
# whoami, password modify and persistence across a restart. Every check
# looks at the LDAP result code (ldap-utils exit with it) as well as the
# data.
set -u
. "$(dirname "$0")/lib.sh"

N=ldap1
# R CMD...: runs CMD, keeps its output in OUT and its exit status in RC.
R() { OUT=$("$@" 2>&1); RC=$?; }
# ldappasswd exits 1 on a failed result and prints the code in its
# "Result:" line; a failed bind exits with the code itself.
pwrc() {
	local c
	[ "$RC" -eq 0 ] && { echo 0; return; }
	c=$(sed -n 's/^Result: .*(\([0-9]*\))$/\1/p' <<<"$OUT" | head -1)
	echo "${c:-$RC}"
}
# ndn: number of entries in LDIF on stdin.
ndn() { grep -c '^dn:'; }
# vals ATTR: values of ATTR (case-insensitive) in unwrapped LDIF on stdin.
vals() { sed -n "s/^$1: //Ip"; }
# has_dn DN: stdin holds the entry DN.
has_dn() { grep -qixF "dn: $1"; }
alive() { survived "$N" "$1"; }
usn_of() { adm_search "$N" -b "$1" -s base uSNChanged | vals uSNChanged; }
dse_usn() { ldapsearch -x -LLL -H "$(url "$N")" -b "" -s base highestCommittedUSN | vals highestCommittedUSN; }

node_init "$N" || { echo "Bail out! vmdird --init failed"; cat "$T_DIR/$N/init.log"; exit 1; }
node_start "$N" || { echo "Bail out! vmdird does not start"; exit 1; }
U=$(url "$N")
SITE="cn=Default-First-Site,cn=Sites,cn=Configuration,$BASE"
SERVER="cn=$N,cn=Servers,$SITE"

# ---------------------------------------------------------------- root DSE
R ldapsearch -x -LLL -o ldif-wrap=no -H "$U" -b "" -s base '*' '+'
is "$RC" 0 "root DSE: anonymous base search succeeds"
DSE=$OUT
like "$DSE" '^dn:$' "root DSE: entry with the empty DN"
like "$DSE" "^namingContexts: $BASE\$" "root DSE: namingContexts is $BASE"
like "$DSE" '^supportedControl: 1\.2\.840\.113556\.1\.4\.319$' "root DSE: paged results control advertised"
like "$DSE" '^supportedExtension: 1\.3\.6\.1\.4\.1\.1466\.20037$' "root DSE: StartTLS advertised"
like "$DSE" '^supportedExtension: 1\.3\.6\.1\.4\.1\.4203\.1\.11\.3$' "root DSE: Who am I? advertised"
like "$DSE" '^supportedExtension: 1\.3\.6\.1\.4\.1\.4203\.1\.11\.1$' "root DSE: password modify advertised"
like "$DSE" '^supportedLDAPVersion: 3$' "root DSE: supportedLDAPVersion 3"
like "$DSE" '^subschemaSubentry: cn=schema$' "root DSE: subschemaSubentry"
like "$DSE" '^highestCommittedUSN: [1-9][0-9]*$' "root DSE: highestCommittedUSN"
like "$DSE" "^serverName: $SERVER\$" "root DSE: serverName is this node's server object"
like "$DSE" '^vendorName: .+' "root DSE: vendorName"
like "$DSE" '^vendorVersion: [0-9]' "root DSE: vendorVersion"
R ldapsearch -x -LLL -o ldif-wrap=no -H "$U" -b "" -s base supportedControl
is "$(printf '%s\n' "$OUT" | grep -vc -e '^dn:' -e '^supportedControl:' -e '^$')" 0 \
    "root DSE: asking for one attribute returns only that attribute"
USN0=$(dse_usn)

# ---------------------------------------------------------- schema subentry
R ldapsearch -x -LLL -o ldif-wrap=no -H "$U" -b cn=schema -s base attributeTypes objectClasses
is "$RC" 0 "schema: anonymous read of cn=schema"
like "$OUT" "^attributeTypes: \\( 2\\.5\\.4\\.3 NAME \\( 'cn' 'commonName' \\)" "schema: cn attribute type"
like "$OUT" "^attributeTypes: \\( 2\\.5\\.4\\.35 NAME 'userPassword'" "schema: userPassword attribute type"
like "$OUT" "^objectClasses: \\( 2\\.16\\.840\\.1\\.113730\\.3\\.2\\.2 NAME 'inetOrgPerson' SUP organizationalPerson" \
    "schema: inetOrgPerson object class"
like "$OUT" "^objectClasses: \\( .* NAME 'vmwDirServer'" "schema: Trellis classes published too"
R ldapsearch -x -LLL -o ldif-wrap=no -H "$U" -b cn=schema -s base '(objectClass=subschema)' 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 1 "schema: cn=schema is a subschema entry"

# ------------------------------------------------- the layout made by --init
R adm_search "$N" -b "$BASE"
is "$RC" 0 "layout: admin subtree search of $BASE succeeds"
ALL=$OUT
NALL=$(printf '%s\n' "$ALL" | ndn)
for dn in "$BASE" "cn=Users,$BASE" "$ADMIN_DN" "cn=Builtin,$BASE" \
    "cn=Administrators,cn=Builtin,$BASE" "cn=DCAdmins,cn=Builtin,$BASE" \
    "cn=Domain Controllers,$BASE" "cn=$N,cn=Domain Controllers,$BASE" \
    "cn=Configuration,$BASE" "cn=Sites,cn=Configuration,$BASE" "$SITE" \
    "cn=Servers,$SITE" "$SERVER" "cn=Replication Agreements,$SERVER" \
    "cn=Certificate-Authorities,cn=Configuration,$BASE" \
    "cn=LookupService,$SITE" "cn=ServiceRegistrations,cn=LookupService,$SITE" \
    "cn=ServicePrincipals,$BASE" "cn=LostAndFound,$BASE" "cn=Services,$BASE"; do
	ok "layout: $dn" has_dn "$dn" <<<"$ALL"
done
# tombstones live here; a search may hide the container, but it exists
R adm_search "$N" -b "cn=Deleted Objects,$BASE" -s base 1.1
is "$RC:$(printf '%s\n' "$OUT" | ndn)" "0:1" "layout: cn=Deleted Objects,$BASE"
R adm_search "$N" -b "$SERVER" -s base objectClass serverId invocationId
like "$OUT" '^objectClass: vmwDirServer$' "layout: server object is a vmwDirServer"
like "$OUT" '^serverId: [0-9]+$' "layout: server object has a serverId"
like "$OUT" '^invocationId: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' \
    "layout: server object has an invocationId"
like "$(vals invocationId <<<"$OUT")" "^$(vals invocationId <<<"$DSE")\$" \
    "layout: server object's invocationId is the root DSE's"
R adm_search "$N" -b "cn=Administrators,cn=Builtin,$BASE" -s base member
like "${OUT,,}" "^member: ${ADMIN_DN,,}\$" "layout: Administrator is a member of Administrators"
R adm_search "$N" -b "$BASE" '+'
is "$RC" 0 "layout: operational attributes of every entry"
is "$(printf '%s\n' "$OUT" | ndn)" "$NALL" "layout: '+' search returns as many entries as '*'"
is "$(printf '%s\n' "$OUT" | grep -c '^uSNChanged: [0-9]')" "$NALL" "layout: every entry has uSNChanged"
is "$(printf '%s\n' "$OUT" | grep -c '^objectGUID: [0-9a-f-]\{36\}$')" "$NALL" "layout: every entry has objectGUID"
is "$(printf '%s\n' "$OUT" | grep '^objectGUID:' | sort -u | wc -l)" "$NALL" "layout: objectGUIDs are unique"
is "$(printf '%s\n' "$OUT" | grep -ci '^sn:')" 0 "layout: '+' alone returns no user attributes"

# -------------------------------------------------------------- bind forms
R ldapwhoami -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW"
is "$RC" 0 "bind: by DN"
like "${OUT,,}" "^dn:${ADMIN_DN,,}\$" "whoami: DN bind is the Administrator"
R ldapwhoami -x -H "$U" -D "administrator@vsphere.local" -w "$ADMIN_PW"
is "$RC" 0 "bind: as administrator@vsphere.local"
like "${OUT,,}" "^dn:${ADMIN_DN,,}\$" "whoami: UPN bind is the Administrator"
R ldapwhoami -x -H "$U" -D "Administrator@VSPHERE.LOCAL" -w "$ADMIN_PW"
is "$RC" 0 "bind: user principal name is case-insensitive"
R ldapwhoami -x -H "$U" -D "administrator" -w "$ADMIN_PW"
is "$RC" 0 "bind: as plain administrator"
like "${OUT,,}" "^dn:${ADMIN_DN,,}\$" "whoami: plain-name bind is the Administrator"
R ldapwhoami -x -H "$U" -D "$ADMIN_DN" -w 'wrong'
is "$RC" 49 "bind: wrong password -> invalidCredentials (49)"
R ldapwhoami -x -H "$U" -D "administrator@vsphere.local" -w 'wrong'
is "$RC" 49 "bind: UPN with wrong password -> 49"
R ldapwhoami -x -H "$U" -D "cn=Nobody,cn=Users,$BASE" -w "$ADMIN_PW"
is "$RC" 49 "bind: unknown DN -> 49"
R ldapwhoami -x -H "$U" -D "nobody@vsphere.local" -w "$ADMIN_PW"
is "$RC" 49 "bind: unknown user principal name -> 49"
R ldapwhoami -x -H "$U" -D "nobody" -w "$ADMIN_PW"
is "$RC" 49 "bind: unknown plain name -> 49"
R ldapwhoami -x -H "$U" -D "$ADMIN_DN" -w ''
is "$RC" 53 "bind: DN with an empty password -> unwillingToPerform (53)"
R ldapwhoami -x -H "$U"
is "$RC" 0 "whoami: anonymous"
like "$OUT" '^anonymous$' "whoami: anonymous says anonymous"

# --------------------------------------------------------------- test data
T="cn=Test,$BASE"
ALICE="cn=alice,$T" BOB="cn=bob,$T" CAROL="cn=carol,$T" DAVE="cn=dave,$T"
R adm_add "$N" <<EOF
dn: $T
objectClass: container
cn: Test

dn: $ALICE
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: inetOrgPerson
objectClass: user
cn: alice
sn: Anderson
givenName: Alice
mail: alice@example.com
description: star*value
title: Engineer
userAccountControl: 9
employeeNumber: 1001
userPassword: Al1ce!Zero

dn: $BOB
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: inetOrgPerson
objectClass: user
cn: bob
sn: Brown
description: starXvalue
title: Manager
userAccountControl: 10

dn: $CAROL
objectClass: user
cn: carol
sn: Carter
title: Director
userAccountControl: 100
EOF
is "$RC" 0 "add: container and three users"
[ "$RC" -eq 0 ] || printf '%s\n' "$OUT" | sed 's/^/#   /'
USN1=$(dse_usn)
ok "root DSE: highestCommittedUSN increased after adds ($USN0 -> $USN1)" test "$USN1" -gt "$USN0"
CAROL_USN=$(usn_of "$CAROL")
# dave: the RDN attribute is not in the entry; the server adds it.
R adm_add "$N" <<EOF
dn: $DAVE
objectClass: inetOrgPerson
sn: Smith
title: Engineer
EOF
is "$RC" 0 "add: entry without its RDN attribute"
R adm_search "$N" -b "$DAVE" -s base cn
like "$OUT" '^cn: dave$' "add: the RDN value was added to the entry"
R adm_search "$N" -b "$ALICE" -s base '*' '+'
like "$OUT" '^objectGUID: [0-9a-f-]{36}$' "add: new entry has an objectGUID"
like "$OUT" '^uSNCreated: [0-9]+$' "add: new entry has uSNCreated"
like "${OUT,,}" "^creatorsname: ${ADMIN_DN,,}\$" "add: creatorsName is the Administrator"
like "$OUT" '^createTimestamp: [0-9]{14}Z$' "add: createTimestamp"
R adm_search "$N" -b "$CAROL" -s base '(objectClass=person)' 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 1 "add: objectClass superclasses are implied ((objectClass=person) matches an entry added as 'user' only)"
alive "adds"

# ----------------------------------------------------------------- scopes
R adm_search "$N" -b "cn=Builtin,$BASE" -s base 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 1 "scope base: 1 entry"
R adm_search "$N" -b "cn=Builtin,$BASE" -s one 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 2 "scope one: 2 children of cn=Builtin"
R adm_search "$N" -b "cn=Builtin,$BASE" -s sub 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 3 "scope sub: cn=Builtin and its 2 children"
R adm_search "$N" -b "$T" -s one 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 4 "scope one: 4 users under cn=Test"
R adm_search "$N" -b "$BASE" -s one 1.1
ok "scope one: cn=Users is a child of the suffix" has_dn "cn=Users,$BASE" <<<"$OUT"
ok "scope one: the suffix itself is not returned" bash -c '! grep -qixF "dn: $1"' _ "$BASE" <<<"$OUT"
ok "scope one: grandchildren are not returned" bash -c '! grep -qixF "dn: $1"' _ "$ADMIN_DN" <<<"$OUT"
R adm_search "$N" -b "$ALICE" -s base '(sn=Brown)' 1.1
is "$RC:$(printf '%s\n' "$OUT" | ndn)" "0:0" "scope base: filter not matching -> success, no entries"

R adm_search "$N" -b "CN=builtin,  DC=Vsphere,dc=LOCAL" -s one 1.1
is "$RC:$(printf '%s\n' "$OUT" | ndn)" "0:2" "scope: base DN matched case- and space-insensitively"
R adm_search "$N" -b "cn=Builtin,$BASE" -z 3 1.1
is "$RC:$(printf '%s\n' "$OUT" | ndn)" "0:3" "size limit equal to the number of entries is not exceeded"
R adm_search "$N" -b "$ADMIN_DN" -s one 1.1
is "$RC:$(printf '%s\n' "$OUT" | ndn)" "0:0" "scope one on a leaf: no entries"
R adm_search "$N" -b "$BASE" '(member=CN=Administrator, CN=Users,DC=vsphere,DC=local)' 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 1 "filter on a DN attribute uses distinguishedNameMatch"
# ----------------------------------------------------------------- filters
# fcount FILTER WANT DESC: entries under cn=Test matching FILTER.
fcount() {
	R adm_search "$N" -b "$T" -s sub "$1" 1.1
	is "$RC:$(printf '%s\n' "$OUT" | ndn)" "0:$2" "filter $1: $3"
}
fcount '(sn=Brown)' 1 "equality"
fcount '(sn=BROWN)' 1 "equality is case-insensitive for caseIgnoreMatch"
fcount '(cn=ALICE)' 1 "equality on an indexed attribute, other case"
fcount '(objectClass=USER)' 3 "objectClass equality, other case"
fcount '(sn=A*)' 1 "substring initial"
fcount '(sn=*r*)' 3 "substring any"
fcount '(sn=*son)' 1 "substring final"
fcount '(sn=A*d*r*n)' 1 "substring initial+any+any+final"
fcount '(sn=*x*)' 0 "substring with no match"
fcount '(userAccountControl>=10)' 2 "integer >= uses integer ordering"
fcount '(userAccountControl<=10)' 2 "integer <= uses integer ordering"
fcount '(userAccountControl=10)' 1 "integer equality"
fcount "(uSNChanged>=$CAROL_USN)" 2 "uSNChanged >= carol's USN: carol and dave"
fcount '(mail=*)' 1 "presence"
fcount '(userAccountControl=*)' 3 "presence of an integer attribute"
fcount '(sn~=smith)' 1 "approx"
fcount '(&(objectClass=user)(title=Engineer))' 1 "and"
fcount '(|(sn=Brown)(sn=Smith))' 2 "or"
fcount '(!(objectClass=user))' 2 "not: the container and dave"
fcount '(&(objectClass=inetOrgPerson)(!(userAccountControl=*)))' 1 "and/not combined"
fcount '(|(&(title=Engineer)(sn=S*))(userAccountControl>=100))' 2 "nested and/or"
fcount '(cn:dn:=Test)' 5 "extensible with dnAttributes: every entry with cn=Test in its DN"
fcount '(cn:=Test)' 1 "extensible without dnAttributes"
fcount '(sn:caseIgnoreMatch:=brown)' 1 "extensible with the attribute's matching rule"
fcount '(description=star\2avalue)' 1 "escaped \\2a is a literal asterisk"
fcount '(description=star*value)' 2 "unescaped * is a wildcard"
fcount '(description=*\2a*)' 1 "escaped asterisk inside a substring"
fcount '(noSuchAttr=x)' 0 "undefined attribute type matches nothing"
fcount '(&)' 5 "absolute true (RFC 4526)"
fcount '(|)' 0 "absolute false (RFC 4526)"

# ------------------------------------------------------- attribute selection
R adm_search "$N" -b "$ALICE" -s base cn sn
is "$(printf '%s\n' "$OUT" | grep -v '^$' | cut -d: -f1 | sort -u | tr '\n' ' ')" "cn dn sn " \
    "attrs: named attributes only"
R adm_search "$N" -b "$ALICE" -s base '*'
like "$OUT" '^mail: alice@example.com$' "attrs: * has user attributes"
ok "attrs: * has no operational attributes" bash -c '! grep -qi "^uSNChanged:"' <<<"$OUT"
R adm_search "$N" -b "$ALICE" -s base '+'
like "$OUT" '^uSNChanged: ' "attrs: + has uSNChanged"
like "$OUT" '^modifyTimestamp: ' "attrs: + has modifyTimestamp"
ok "attrs: + has no user attributes" bash -c '! grep -qi "^mail:"' <<<"$OUT"
R adm_search "$N" -b "$ALICE" -s base '*' '+'
like "$OUT" '^mail: ' "attrs: * + has user attributes"
like "$OUT" '^objectGUID: ' "attrs: * + has operational attributes"
R adm_search "$N" -b "$ALICE" -s base 1.1
is "$(printf '%s\n' "$OUT" | grep -vc -e '^dn:' -e '^$')" 0 "attrs: 1.1 returns no attributes"
R adm_search "$N" -b "$ALICE" -s base SURNAME
like "$OUT" '^sn: Anderson$' "attrs: requested by an alias name (surname)"
R adm_search "$N" -b "$ALICE" -s base -A sn mail
like "$OUT" '^sn:$' "typesOnly: attribute type without value"
ok "typesOnly: no values returned" bash -c '! grep -q "Anderson"' <<<"$OUT"

# ---------------------------------------------------------- limits, paging
R adm_search "$N" -b "$BASE" -z 2 1.1
is "$RC" 4 "size limit: -z 2 -> sizeLimitExceeded (4)"
is "$(printf '%s\n' "$OUT" | ndn)" 2 "size limit: exactly 2 entries returned"
R adm_search "$N" -b "$BASE" 1.1
NTOTAL=$(printf '%s\n' "$OUT" | ndn)
R adm_search "$N" -b "$BASE" -E pr=2/noprompt 1.1
is "$RC" 0 "paged results: pr=2 succeeds"
is "$(printf '%s\n' "$OUT" | ndn)" "$NTOTAL" "paged results: all $NTOTAL entries across pages"
is "$(printf '%s\n' "$OUT" | grep -i '^dn:' | sort -u | wc -l)" "$NTOTAL" "paged results: no entry twice"
R ldapsearch -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" -b "$BASE" -E pr=3/noprompt 1.1
like "$OUT" 'pagedresults: cookie=' "paged results: the server returns a cookie"
R adm_search "$N" -b "$T" -E pr=1/noprompt 1.1
is "$RC:$(printf '%s\n' "$OUT" | ndn)" "0:5" "paged results: pages of 1"
R adm_search "$N" -b "$T" -E '!pr=2/noprompt' '(objectClass=user)' 1.1
is "$RC:$(printf '%s\n' "$OUT" | ndn)" "0:3" "paged results: critical, filtered"

# ----------------------------------------------------------- search errors
R adm_search "$N" -b "$BASE" -e '!1.2.3.4' 1.1
is "$RC" 12 "control: unknown critical control -> unavailableCriticalExtension (12)"
R adm_search "$N" -b "$T" -s base -e '1.2.3.4' 1.1
is "$RC:$(printf '%s\n' "$OUT" | ndn)" "0:1" "control: unknown non-critical control is ignored"
R adm_search "$N" -b 'this is not a DN' 1.1
is "$RC" 34 "search: bad base DN -> invalidDNSyntax (34)"
R ldapsearch -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" -b "cn=missing,cn=Users,$BASE" 1.1
is "$RC" 32 "search: non-existent base -> noSuchObject (32)"
like "${OUT,,}" "matcheddn: cn=users,${BASE}" "search: matchedDN names the closest existing entry"
alive "searches"

# -------------------------------------------------------------- add errors
R adm_add "$N" <<EOF
dn: $ALICE
objectClass: inetOrgPerson
cn: alice
sn: Again
EOF
is "$RC" 68 "add: duplicate -> entryAlreadyExists (68)"
R adm_add "$N" <<EOF
dn: cn=x,cn=NoSuchParent,$BASE
objectClass: container
cn: x
EOF
is "$RC" 32 "add: missing parent -> noSuchObject (32)"
R adm_add "$N" <<EOF
dn: cn=nosn,$T
objectClass: inetOrgPerson
cn: nosn
EOF
is "$RC" 65 "add: inetOrgPerson without sn -> objectClassViolation (65)"
R adm_add "$N" <<EOF
dn: cn=badattr,$T
objectClass: inetOrgPerson
cn: badattr
sn: x
userAccountControl: 1
EOF
is "$RC" 65 "add: attribute not allowed by the classes -> 65"
R adm_add "$N" <<EOF
dn: cn=nooc,$T
cn: nooc
EOF
is "$RC" 65 "add: no objectClass -> 65"
R adm_add "$N" <<EOF
dn: cn=undef,$T
objectClass: inetOrgPerson
cn: undef
sn: x
fooBarBaz: 1
EOF
is "$RC" 17 "add: unknown attribute -> undefinedAttributeType (17)"
R adm_add "$N" <<EOF
dn: cn=badint,$T
objectClass: user
cn: badint
sn: x
userAccountControl: notanumber
EOF
is "$RC" 21 "add: non-integer value for an Integer attribute -> invalidAttributeSyntax (21)"
R adm_add "$N" <<EOF
dn: cn=badbool,$T
objectClass: user
cn: badbool
sn: x
vmwPasswordNeverExpires: maybe
EOF
is "$RC" 21 "add: non-Boolean value for a Boolean attribute -> 21"
R adm_add "$N" <<EOF
dn: cn=badtime,$T
objectClass: user
cn: badtime
sn: x
pwdLastSet: yesterday
EOF
is "$RC" 21 "add: bad GeneralizedTime -> 21"
R adm_add "$N" <<EOF
dn: cn=twosv,$T
objectClass: inetOrgPerson
cn: twosv
sn: x
displayName: one
displayName: two
EOF
is "$RC" 19 "add: two values of a single-valued attribute -> constraintViolation (19)"
R adm_add "$N" <<EOF
dn: cn=guid,$T
objectClass: inetOrgPerson
cn: guid
sn: x
objectGUID: 6b1f3a4e-1111-2222-3333-444455556666
EOF
is "$RC" 19 "add: supplying objectGUID (server-maintained) -> constraintViolation (19)"
R adm_add "$N" <<EOF
dn: cn=usn,$T
objectClass: inetOrgPerson
cn: usn
sn: x
uSNChanged: 5
EOF
is "$RC" 19 "add: supplying uSNChanged -> 19"
R adm_add "$N" <<EOF
dn: cn=out,dc=example,dc=com
objectClass: container
cn: out
EOF
is "$RC" 32 "add: outside the naming context -> noSuchObject (32)"
R adm_add "$N" <<EOF
dn: not a dn
objectClass: container
EOF
is "$RC" 34 "add: bad DN -> invalidDNSyntax (34)"
R adm_search "$N" -b "$T" -s one 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 4 "add: failed adds left nothing behind"
R adm_add "$N" <<EOF
dn: cn=Doe\, Jane,$T
objectClass: inetOrgPerson
cn: Doe, Jane
sn: Doe

dn: cn=multi+sn=valued,$T
objectClass: inetOrgPerson
EOF
is "$RC" 0 "add: escaped comma in an RDN, and a multi-valued RDN"
R adm_search "$N" -b "cn=Doe\\2C Jane,$T" -s base cn
like "$OUT" '^cn: Doe, Jane$' "add: entry with an escaped comma read back (hex-escaped base)"
R adm_search "$N" -b "$T" '(sn=valued)' cn sn
like "$OUT" '^cn: multi$' "add: multi-valued RDN: first value added to the entry"
like "$OUT" '^sn: valued$' "add: multi-valued RDN: second value added to the entry"
R adm_delete "$N" "cn=Doe\, Jane,$T"
is "$RC" 0 "delete: entry with an escaped comma"
R adm_delete "$N" "sn=valued+cn=multi,$T"
is "$RC" 0 "delete: multi-valued RDN named in the other order"
alive "add errors"

# ------------------------------------------------------------------ modify
R adm_search "$N" -b "$ALICE" -s base uSNChanged modifyTimestamp attributeMetaData
U1=$(vals uSNChanged <<<"$OUT")
M1=$(vals modifyTimestamp <<<"$OUT")
like "$OUT" '^attributeMetaData: title:[0-9]+:1:' "meta: title starts at version 1"
sleep 1.1
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
replace: title
title: Senior Engineer
EOF
is "$RC" 0 "modify: replace"
R adm_search "$N" -b "$ALICE" -s base title uSNChanged modifyTimestamp attributeMetaData modifiersName
like "$OUT" '^title: Senior Engineer$' "modify: replaced value visible"
is "$(vals title <<<"$OUT" | wc -l)" 1 "modify: replace left one value"
U2=$(vals uSNChanged <<<"$OUT")
M2=$(vals modifyTimestamp <<<"$OUT")
ok "modify: uSNChanged increased ($U1 -> $U2)" test "${U2:-0}" -gt "${U1:-0}"
ok "modify: modifyTimestamp changed ($M1 -> $M2)" test "$M2" != "$M1" -a "$M2" \> "$M1"
like "${OUT,,}" "^modifiersname: ${ADMIN_DN,,}\$" "modify: modifiersName"
TMETA=$(vals attributeMetaData <<<"$OUT" | grep -i '^title:')
like "$TMETA" "^title:$U2:2:" "meta: title now version 2 with local USN = new uSNChanged ($U2)"
like "$(vals attributeMetaData <<<"$OUT" | grep -i '^sn:')" "^sn:$U1:1:|^sn:[0-9]+:1:" "meta: untouched sn still version 1"
like "$(dse_usn)" "^$U2\$" "root DSE: highestCommittedUSN is the last write's USN"

R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
add: telephoneNumber
telephoneNumber: +1 555 0100
telephoneNumber: +1 555 0101
EOF
is "$RC" 0 "modify: add two values"
R adm_search "$N" -b "$ALICE" -s base telephoneNumber
is "$(vals telephoneNumber <<<"$OUT" | wc -l)" 2 "modify: both values stored"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
add: telephoneNumber
telephoneNumber: +1 555 0100
EOF
is "$RC" 20 "modify: add an existing value -> typeOrValueExists (20)"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
delete: telephoneNumber
telephoneNumber: +1 555 0101
EOF
is "$RC" 0 "modify: delete one value"
R adm_search "$N" -b "$ALICE" -s base telephoneNumber
is "$(vals telephoneNumber <<<"$OUT")" "+1 555 0100" "modify: the other value stays"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
delete: telephoneNumber
telephoneNumber: +1 555 9999
EOF
is "$RC" 16 "modify: delete a missing value -> noSuchAttribute (16)"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
delete: roomNumber
EOF
is "$RC" 16 "modify: delete a missing attribute -> 16"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
delete: telephoneNumber
EOF
is "$RC" 0 "modify: delete a whole attribute"
R adm_search "$N" -b "$ALICE" -s base telephoneNumber
is "$(vals telephoneNumber <<<"$OUT" | wc -l)" 0 "modify: attribute gone"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
increment: userAccountControl
userAccountControl: 5
EOF
is "$RC" 0 "modify: increment (RFC 4525)"
R adm_search "$N" -b "$ALICE" -s base userAccountControl
is "$(vals userAccountControl <<<"$OUT")" 14 "modify: increment 9 by 5 gives 14"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
increment: userAccountControl
userAccountControl: -4
EOF
R adm_search "$N" -b "$ALICE" -s base userAccountControl
is "$(vals userAccountControl <<<"$OUT")" 10 "modify: increment by -4 gives 10"
R adm_modify "$N" <<EOF
dn: $DAVE
changetype: modify
increment: employeeNumber
employeeNumber: 1
EOF
is "$RC" 16 "modify: increment of a missing attribute -> 16"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
delete: cn
cn: alice
EOF
is "$RC" 67 "modify: deleting the RDN value -> notAllowedOnRDN (67)"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
replace: cn
cn: somebody
EOF
is "$RC" 67 "modify: replacing the RDN value away -> 67"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
add: cn
cn: Alice Anderson
EOF
is "$RC" 0 "modify: adding a second cn next to the RDN value"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
add: displayName
displayName: one
displayName: two
EOF
is "$RC" 19 "modify: two values for a single-valued attribute -> 19"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
add: employeeNumber
employeeNumber: 2002
EOF
is "$RC" 19 "modify: adding a second value to a single-valued attribute -> 19"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
delete: sn
EOF
is "$RC" 65 "modify: removing a MUST attribute -> 65"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
replace: userAccountControl
userAccountControl: lots
EOF
is "$RC" 21 "modify: bad Integer syntax -> 21"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
add: fooBarBaz
fooBarBaz: 1
EOF
is "$RC" 17 "modify: unknown attribute -> 17"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
replace: uSNChanged
uSNChanged: 1
EOF
is "$RC" 19 "modify: server-maintained uSNChanged -> 19"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
replace: objectGUID
objectGUID: 6b1f3a4e-1111-2222-3333-444455556666
EOF
is "$RC" 19 "modify: server-maintained objectGUID -> 19"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
add: roomNumber
roomNumber: 101
-
delete: roomNumber
roomNumber: 999
EOF
is "$RC" 16 "modify: a failing change in a list -> error"
R adm_search "$N" -b "$ALICE" -s base roomNumber
is "$(vals roomNumber <<<"$OUT" | wc -l)" 0 "modify: a failed modify is atomic (earlier change not applied)"
R adm_modify "$N" <<EOF
dn: cn=ghost,$T
changetype: modify
replace: title
title: x
EOF
is "$RC" 32 "modify: missing entry -> 32"
R adm_search "$N" -b "$ALICE" -s base sn mail userAccountControl
like "$OUT" '^sn: Anderson$' "modify: failed modifies left sn"
like "$OUT" '^userAccountControl: 10$' "modify: failed modifies left userAccountControl"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
add: sn
sn: ANDERSON
EOF
is "$RC" 20 "modify: add of a value equal under the matching rule -> 20"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
replace: roomNumber
EOF
is "$RC" 0 "modify: replace with no values of an absent attribute is a no-op"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
add: description
description: Second Description
-
delete: description
description: SECOND description
EOF
is "$RC" 0 "modify: delete a value using the matching rule (case-insensitive)"
R adm_search "$N" -b "$ALICE" -s base description
is "$(vals description <<<"$OUT")" "star*value" "modify: only the original description remains"
alive "modifies"

# ------------------------------------------------------------------ delete
R adm_add "$N" <<EOF
dn: cn=leaf,$T
objectClass: container
cn: leaf
EOF
R adm_delete "$N" "cn=leaf,$T"
is "$RC" 0 "delete: leaf"
R adm_search "$N" -b "cn=leaf,$T" -s base 1.1
is "$RC" 32 "delete: entry gone"
R adm_delete "$N" "$T"
is "$RC" 66 "delete: non-leaf -> notAllowedOnNonLeaf (66)"
R adm_delete "$N" "cn=leaf,$T"
is "$RC" 32 "delete: missing -> 32"
R adm_delete "$N" "$BASE"
ok "delete: the naming context cannot be deleted (rc $RC)" test "$RC" -ne 0
R adm_add "$N" <<EOF
dn: cn=leaf,$T
objectClass: container
cn: leaf
EOF
is "$RC" 0 "delete: the name can be reused"

# ------------------------------------------------------------------ modrdn
R ldapmodrdn -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "$BOB" "cn=robert"
is "$RC" 0 "modrdn: rename keeping the old RDN value"
ROBERT="cn=robert,$T"
R adm_search "$N" -b "$ROBERT" -s base cn sn
is "$(vals cn <<<"$OUT" | sort | tr '\n' ' ')" "bob robert " "modrdn: old and new cn values"
like "$OUT" '^sn: Brown$' "modrdn: other attributes kept"
R adm_search "$N" -b "$BOB" -s base 1.1
is "$RC" 32 "modrdn: the old DN is gone"
R ldapmodrdn -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" -r "$CAROL" "cn=caroline"
is "$RC" 0 "modrdn: rename with deleteoldrdn (-r)"
CAROLINE="cn=caroline,$T"
R adm_search "$N" -b "$CAROLINE" -s base cn
is "$(vals cn <<<"$OUT" | tr '\n' ' ')" "caroline " "modrdn -r: only the new cn value"
R adm_search "$N" -b "$T" '(cn=carol)' 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 0 "modrdn -r: the index no longer finds the old value"
R adm_search "$N" -b "$T" '(cn=caroline)' 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 1 "modrdn -r: the index finds the new value"
R ldapmodrdn -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" -s "cn=Users,$BASE" "$ROBERT" "cn=robert"
is "$RC" 0 "modrdn: move with newSuperior"
R adm_search "$N" -b "cn=robert,cn=Users,$BASE" -s base sn
like "$OUT" '^sn: Brown$' "modrdn: moved entry under cn=Users"
R adm_search "$N" -b "$T" -s one '(cn=robert)' 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 0 "modrdn: moved entry no longer under cn=Test"
R adm_search "$N" -b "cn=Users,$BASE" -s one '(sn=Brown)' 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 1 "modrdn: one-level search of the new parent finds it"
R adm_add "$N" <<EOF
dn: cn=Sub,$T
objectClass: container
cn: Sub

dn: cn=Mid,cn=Sub,$T
objectClass: container
cn: Mid

dn: cn=kid,cn=Mid,cn=Sub,$T
objectClass: inetOrgPerson
cn: kid
sn: Kid
EOF
is "$RC" 0 "modrdn: subtree to rename"
R ldapmodrdn -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" -r "cn=Sub,$T" "cn=Sub2"
is "$RC" 0 "modrdn: rename a non-leaf entry"
R adm_search "$N" -b "cn=kid,cn=Mid,cn=Sub2,$T" -s base sn
is "$RC" 0 "modrdn: grandchild found under the new DN"
like "$OUT" '^sn: Kid$' "modrdn: grandchild kept its attributes"
R adm_search "$N" -b "cn=kid,cn=Mid,cn=Sub,$T" -s base 1.1
is "$RC" 32 "modrdn: grandchild not under the old DN"
R adm_search "$N" -b "cn=Sub2,$T" -s sub 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 3 "modrdn: subtree search of the new DN finds all 3"
R adm_search "$N" -b "$T" '(sn=Kid)' entryDN
like "${OUT,,}" "^entrydn: cn=kid,cn=mid,cn=sub2,${T,,}\$" "modrdn: entryDN of the grandchild is the new DN"
R ldapmodrdn -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" -r -s "cn=Users,$BASE" "cn=Sub2,$T" "cn=Sub3"
is "$RC" 0 "modrdn: move and rename a non-leaf entry"
R adm_search "$N" -b "cn=kid,cn=Mid,cn=Sub3,cn=Users,$BASE" -s base sn
is "$RC" 0 "modrdn: grandchild follows to the new superior"
R adm_search "$N" -b "cn=Mid,cn=Sub3,cn=Users,$BASE" -s one 1.1
is "$(printf '%s\n' "$OUT" | ndn)" 1 "modrdn: one-level search under the moved child works"
R ldapmodrdn -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "$DAVE" "cn=alice"
is "$RC" 68 "modrdn: target exists -> 68"
R ldapmodrdn -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "cn=ghost,$T" "cn=ghost2"
is "$RC" 32 "modrdn: missing entry -> 32"
R ldapmodrdn -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" -s "cn=NoSuch,$BASE" "$DAVE" "cn=dave"
is "$RC" 32 "modrdn: missing new superior -> 32"
R ldapmodrdn -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" -s "cn=Mid,cn=Sub3,cn=Users,$BASE" \
    "cn=Sub3,cn=Users,$BASE" "cn=Sub3"
ok "modrdn: moving an entry below itself fails (rc $RC)" test "$RC" -ne 0
R ldapmodrdn -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "cn=leaf,$T" "ou=leaf"
is "$RC" 65 "modrdn: new RDN attribute not allowed by the class -> 65"
R adm_search "$N" -b "cn=leaf,$T" -s base 1.1
is "$RC" 0 "modrdn: the refused rename left the entry alone"
R ldapcompare -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "cn=Administrators,cn=Builtin,$BASE" \
    "member:CN=Administrator, CN=Users,DC=vsphere,DC=local"
is "$RC" 6 "compare: DN values compared with distinguishedNameMatch"
alive "modrdn"

# ----------------------------------------------------------------- compare
R ldapcompare -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "$ALICE" "sn:Anderson"
is "$RC" 6 "compare: true -> compareTrue (6)"
like "$OUT" '^TRUE$' "compare: prints TRUE"
R ldapcompare -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "$ALICE" "sn:anderson"
is "$RC" 6 "compare: uses the equality rule (case-insensitive)"
R ldapcompare -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "$ALICE" "sn:Brown"
is "$RC" 5 "compare: false -> compareFalse (5)"
R ldapcompare -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "$ALICE" "userAccountControl:10"
is "$RC" 6 "compare: integer"
R ldapcompare -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "$ALICE" "roomNumber:1"
is "$RC" 16 "compare: attribute not in the entry -> noSuchAttribute (16)"
R ldapcompare -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "cn=ghost,$T" "sn:x"
is "$RC" 32 "compare: missing entry -> 32"
R ldapcompare -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "$ALICE" "fooBarBaz:x"
is "$RC" 17 "compare: undefined attribute -> 17"

# ------------------------------------------------- many requests, every size
# Requests whose length lands on every byte boundary: the server must not
# corrupt its memory on any of them.
v=""
for i in $(seq 1 48); do
	v="${v}x"
	ldapsearch -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" -b "$T" -s base "(cn=$v)" 1.1 >/dev/null 2>&1
done
alive "48 searches of increasing size"

# ------------------------------------------------------- restart persistence
# Every start takes a new invocationId and records it in this node's
# server object, so compare the user data: cn=Test and cn=Users.
snap() {
	{ adm_search "$N" -b "$T" '*' '+' attributeMetaData
	  adm_search "$N" -b "cn=Users,$BASE" '*' '+' attributeMetaData; } |
	    grep -ivE '^(hasSubordinates|subschemaSubentry):' | sort
}
BEFORE=$(snap)
USN_BEFORE=$(dse_usn)
NTOTAL_END=$(adm_search "$N" -b "$BASE" 1.1 | ndn)
node_stop "$N"
is "$?" 0 "restart: clean stop"
node_start "$N"
is "$?" 0 "restart: starts again"
AFTER=$(snap)
is "$(printf '%s\n' "$AFTER" | ndn)" "$(printf '%s\n' "$BEFORE" | ndn)" "restart: same number of entries"
ok "restart: every user entry, value and metadata the same" test "$BEFORE" == "$AFTER"
R adm_search "$N" -b "$BASE" 1.1
is "$(printf '%s\n' "$OUT" | ndn)" "$NTOTAL_END" "restart: same number of entries in the whole tree"
R ldapsearch -x -LLL -H "$U" -b "" -s base invocationId
INV_DSE=$(vals invocationId <<<"$OUT")
R adm_search "$N" -b "$SERVER" -s base invocationId
is "$(vals invocationId <<<"$OUT")" "$INV_DSE" "restart: server object's invocationId is the root DSE's"
R adm_search "$N" -b "$ALICE" -s base title
like "$OUT" '^title: Senior Engineer$' "restart: modified value kept"
R adm_search "$N" -b "cn=kid,cn=Mid,cn=Sub3,cn=Users,$BASE" -s base 1.1
is "$RC" 0 "restart: renamed subtree kept"
R ldapwhoami -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW"
is "$RC" 0 "restart: Administrator password kept"
R ldapwhoami -x -H "$U" -D "$ALICE" -w 'Al1ce!Zero'
is "$RC" 0 "restart: a user's password kept"
ok "restart: highestCommittedUSN not lower ($USN_BEFORE -> $(dse_usn))" test "$(dse_usn)" -ge "$USN_BEFORE"
R adm_modify "$N" <<EOF
dn: $ALICE
changetype: modify
replace: title
title: Principal
EOF
ok "restart: USNs continue upward" test "$(usn_of "$ALICE")" -gt "$USN_BEFORE"
alive "restart"

# ------------------------------------------------------------ password modify
# Last: a broken password modify can lock the Administrator out.
R adm_add "$N" <<EOF
dn: cn=withpw,$T
objectClass: inetOrgPerson
cn: withpw
sn: Pw
userPassword: Cl3ar!text
EOF
is "$RC" 0 "passwd: add with userPassword"
R ldapwhoami -x -H "$U" -D "cn=withpw,$T" -w 'Cl3ar!text'
is "$RC" 0 "passwd: password given at add works"
R ldapwhoami -x -H "$U" -D "cn=withpw,$T" -w 'cl3ar!text'
is "$RC" 49 "passwd: passwords are case-sensitive"
R adm_modify "$N" <<EOF
dn: cn=withpw,$T
changetype: modify
replace: userPassword
userPassword: N3w!text
EOF
is "$RC" 0 "passwd: admin replaces userPassword with modify"
R ldapwhoami -x -H "$U" -D "cn=withpw,$T" -w 'N3w!text'
is "$RC" 0 "passwd: password replaced by modify works"
R ldapwhoami -x -H "$U" -D "cn=withpw,$T" -w 'Cl3ar!text'
is "$RC" 49 "passwd: password replaced by modify: old one refused"
R adm_search "$N" -b "cn=withpw,$T" -s base '*' '+'
ok "passwd: userPassword not returned with * +" bash -c '! grep -qi "^userPassword"' <<<"$OUT"
R adm_search "$N" -b "cn=withpw,$T" -s base userPassword
ok "passwd: userPassword not returned when asked for" bash -c '! grep -qi "^userPassword"' <<<"$OUT"
R adm_search "$N" -b "$BASE" userPassword
ok "passwd: no entry in the tree returns userPassword" bash -c '! grep -qi "^userPassword"' <<<"$OUT"
R ldapcompare -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "cn=withpw,$T" 'userPassword:N3w!text'
ok "passwd: compare cannot confirm the clear-text password (rc $RC)" test "$RC" -ne 6

R ldappasswd -x -H "$U" -D "cn=withpw,$T" -w 'N3w!text' -a 'wrong-old' -s 'Us3r!Three'
is "$(pwrc)" 49 "passwd: wrong old password -> 49"
R ldapwhoami -x -H "$U" -D "cn=withpw,$T" -w 'N3w!text'
is "$RC" 0 "passwd: failed change left the password alone"
R ldappasswd -x -H "$U" -D "cn=withpw,$T" -w 'N3w!text' -a 'N3w!text' -s 'Us3r!Two'
is "$(pwrc)" 0 "passwd: user changes own password with -a old -s new"
ok "passwd: no generated password when -s is given" bash -c '! grep -q "New password"' <<<"$OUT"
R ldapwhoami -x -H "$U" -D "cn=withpw,$T" -w 'Us3r!Two'
is "$RC" 0 "passwd: the user's new password works"
R ldapwhoami -x -H "$U" -D "cn=withpw,$T" -w 'N3w!text'
is "$RC" 49 "passwd: the user's old password no longer works"
R ldappasswd -x -H "$U" -D "cn=withpw,$T" -w 'Us3r!Two' -s 'x' "$DAVE"
is "$(pwrc)" 50 "passwd: a user cannot set another user's password -> 50"

R ldappasswd -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" -s 'Al1ce!One' "$ALICE"
is "$(pwrc)" 0 "passwd: admin sets a user's password"
ok "passwd: admin -s: no generated password" bash -c '! grep -q "New password"' <<<"$OUT"
R ldapwhoami -x -H "$U" -D "$ALICE" -w 'Al1ce!One'
is "$RC" 0 "passwd: the user binds with the password the admin set"
like "${OUT,,}" "^dn:${ALICE,,}\$" "whoami: the user's DN"
R ldapwhoami -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW"
is "$RC" 0 "passwd: the Administrator's own password is unchanged"
R ldappasswd -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW" "$DAVE"
is "$(pwrc)" 0 "passwd: generated password"
GEN=$(sed -n 's/^New password: //p' <<<"$OUT")
ok "passwd: generated password printed" test -n "$GEN"
R ldapwhoami -x -H "$U" -D "$DAVE" -w "$GEN"
is "$RC" 0 "passwd: generated password works for the user"
R ldapwhoami -x -H "$U" -D "$ADMIN_DN" -w "$ADMIN_PW"
is "$RC" 0 "passwd: the Administrator's own password is still unchanged"
alive "passwords"

done_testing
