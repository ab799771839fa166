#!/usr/bin/env bash
# test_filter_ext.sh: extensible match (RFC 4515 attr:rule:=value,
# attr:dn:=value, :dn:rule:=value, :rule:=value) and approximate match
# (~=) against one real vmdird node, through ldapsearch and python-ldap.
# Every check compares the exact set of DNs returned, and the result code.
set -u
. "$(dirname "$0")/lib.sh"

N=fext1
PY=/usr/bin/python3
node_init "$N" || { echo "Bail out! vmdird --init failed"; cat "$T_DIR/$N/init.log"; exit 1; }
node_start "$N" || { echo "Bail out! vmdird does not start"; exit 1; }

B="ou=FilterExt,$BASE"
JOHN="cn=John Smith,$B" JON="cn=Jon Smyth,$B" MARY="cn=Mary Schmidt,$B"
SALES="ou=Sales,$B" PAT="cn=Pat Jones,$SALES"

OUT=$(adm_add "$N" 2>&1 <<EOF
dn: $B
objectClass: organizationalUnit
ou: FilterExt

dn: $JOHN
objectClass: user
cn: John Smith
sn: Smith
mail: JSmith@Example.COM
userAccountControl: 512
vmwPasswordNeverExpires: TRUE
description: 555 0100
telephoneNumber: +1 555-0100
manager: $MARY

dn: $JON
objectClass: user
cn: Jon Smyth
sn: Smyth
mail: jon.smyth@example.org
userAccountControl: 514
vmwPasswordNeverExpires: FALSE
telephoneNumber: +1 555-0199

dn: $MARY
objectClass: user
cn: Mary Schmidt
sn: Schmidt
mail: mary@EXAMPLE.com
userAccountControl: 66048
description: Office

dn: $SALES
objectClass: organizationalUnit
ou: Sales

dn: $PAT
objectClass: user
cn: Pat Jones
sn: Jones
userAccountControl: 512
description: smith fan
userPassword: Smith-Pass-1
EOF
)
RC=$?
is "$RC" 0 "add: the test entries"
[ "$RC" -eq 0 ] || printf '%s\n' "$OUT" | sed 's/^/#   /'

# want DN...: the DNs, sorted, one a line.
want() { [ $# -gt 0 ] && printf '%s\n' "$@" | LC_ALL=C sort; }

# check FILTER DESCRIPTION DN...: ldapsearch returns exactly DN... (and 0).
check() {
	local filter=$1 desc=$2 out rc
	shift 2
	out=$(adm_search "$N" -b "$B" "$filter" 1.1 2>&1)
	rc=$?
	is "$rc" 0 "ldapsearch $filter: success ($desc)"
	is "$(sed -n 's/^dn: //p' <<<"$out" | LC_ALL=C sort)" "$(want "$@")" \
	    "ldapsearch $filter: $desc"
}

# ----------------------------------------------- attr:rule:=value
check '(cn:caseExactMatch:=John Smith)' "caseExactMatch by name" "$JOHN"
check '(cn:caseExactMatch:=john smith)' "caseExactMatch is case-sensitive"
check '(cn:2.5.13.5:=Jon Smyth)' "caseExactMatch by OID" "$JON"
check '(sn:caseIgnoreMatch:=SMITH)' "caseIgnoreMatch" "$JOHN"
check '(sn:2.5.13.2:=smyth)' "caseIgnoreMatch by OID" "$JON"
check '(mail:caseExactIA5Match:=JSmith@Example.COM)' "caseExactIA5Match" "$JOHN"
check '(mail:caseExactIA5Match:=jsmith@example.com)' "caseExactIA5Match is case-sensitive"
check '(mail:caseIgnoreIA5Match:=MARY@example.COM)' "caseIgnoreIA5Match" "$MARY"
check '(mail:1.3.6.1.4.1.1466.109.114.2:=jsmith@example.com)' "caseIgnoreIA5Match by OID" "$JOHN"
check "(manager:distinguishedNameMatch:=CN=mary schmidt, OU=FilterExt,$BASE)" \
    "distinguishedNameMatch" "$JOHN"
check "(manager:2.5.13.1:=cn=Pat Jones,$SALES)" "distinguishedNameMatch, no such value"
check '(userAccountControl:integerMatch:=512)' "integerMatch" "$JOHN" "$PAT"
check '(userAccountControl:2.5.13.14:=0514)' "integerMatch by OID, leading zero" "$JON"
check '(userAccountControl:integerOrderingMatch:=600)' \
    "integerOrderingMatch: values less than the assertion" "$JOHN" "$JON" "$PAT"
check '(userAccountControl:integerMatch:=many)' "integerMatch with a non-integer is Undefined"
check '(vmwPasswordNeverExpires:booleanMatch:=TRUE)' "booleanMatch TRUE" "$JOHN"
check '(vmwPasswordNeverExpires:2.5.13.13:=FALSE)' "booleanMatch FALSE by OID" "$JON"
check '(description:numericStringMatch:=5550100)' "numericStringMatch ignores spaces" "$JOHN"
check '(telephoneNumber:telephoneNumberMatch:=+15550199)' "telephoneNumberMatch" "$JON"
check '(cn:octetStringMatch:=Mary Schmidt)' "octetStringMatch" "$MARY"
check '(cn:octetStringMatch:=mary schmidt)' "octetStringMatch compares bytes"
check '(cn:caseIgnoreSubstringsMatch:=\2aSMITH)' "caseIgnoreSubstringsMatch" "$JOHN"
check '(cn:caseExactSubstringsMatch:=J\2aS\2a)' "caseExactSubstringsMatch" "$JOHN" "$JON"
check '(cn:caseExactSubstringsMatch:=j\2a)' "caseExactSubstringsMatch is case-sensitive"
check '(sn:caseIgnoreOrderingMatch:=smk)' "caseIgnoreOrderingMatch" "$JOHN" "$MARY" "$PAT"

# ----------------------------------------------- unknown or unfit rules
check '(cn:noSuchMatch:=John Smith)' "an unknown rule name is Undefined"
check '(cn:1.2.3.4.5:=John Smith)' "an unknown rule OID is Undefined"
check '(!(cn:noSuchMatch:=John Smith))' "NOT of Undefined is Undefined"
check '(|(cn:noSuchMatch:=x)(sn=Jones))' "OR with an Undefined item" "$PAT"
check '(cn:integerMatch:=5)' "a rule that cannot compare the type is Undefined"
check '(noSuchAttr:caseIgnoreMatch:=x)' "an unknown type is Undefined"

# ----------------------------------------------- :rule:=value, no type
check '(:caseIgnoreMatch:=smith)' "every attribute the rule can compare" "$JOHN"
check '(:integerMatch:=512)' "integerMatch over every integer attribute" "$JOHN" "$PAT"
check '(:2.5.13.13:=FALSE)' "booleanMatch over every boolean attribute" "$JON"
check '(:caseIgnoreMatch:=Smith-Pass-1)' "private attributes are not compared"
check '(:octetStringMatch:=Smith-Pass-1)' "private attributes are not compared (octetStringMatch)"
check '(:caseIgnoreMatch:=sales)' "without dn, RDNs of the DN are not compared" "$SALES"
check '(:noSuchMatch:=x)' "an unknown rule without a type is Undefined"

# ----------------------------------------------- dnAttributes
check '(ou:dn:=sales)' "attr:dn:=value matches the DN's ou values" "$SALES" "$PAT"
check '(ou:=sales)' "attr:=value without dn" "$SALES"
check '(ou:dn:caseIgnoreMatch:=SALES)' "attr:dn:rule:=value" "$SALES" "$PAT"
check '(ou:dn:caseExactMatch:=sales)' "attr:dn:rule:=value with caseExactMatch"
check '(:dn:caseIgnoreMatch:=sales)' ":dn:rule:=value" "$SALES" "$PAT"
check '(:dn:2.5.13.2:=filterext)' ":dn:rule:=value by OID, every entry below" \
    "$B" "$JOHN" "$JON" "$MARY" "$SALES" "$PAT"
check '(:dn:caseIgnoreSubstringsMatch:=s\2al\2a)' ":dn: with a substrings rule" "$SALES" "$PAT"
check '(cn:dn:caseIgnoreMatch:=pat jones)' "cn:dn:rule:=value" "$PAT"
check '(&(:dn:caseIgnoreMatch:=sales)(objectClass=user))' "in an AND" "$PAT"

# ----------------------------------------------- approximate match
check '(sn~=Smith)' "Soundex: Smith, Smyth and Schmidt sound alike" "$JOHN" "$JON" "$MARY"
check '(sn~=SMITH)' "approx ignores case" "$JOHN" "$JON" "$MARY"
check '(cn~=Jon Smith)' "approx word by word" "$JOHN" "$JON"
check '(cn~=smith john)' "approx keeps word order"
check '(cn~=Pat Jonas)' "approx: Jonas sounds like Jones" "$PAT"
check '(cn~=Smyth)' "approx: one word of several" "$JOHN" "$JON" "$MARY"
check '(sn~=Brown)' "approx: nothing alike"
check '(userAccountControl~=0512)' "approx on an integer is equality" "$JOHN" "$PAT"
check '(description~=555 0100)' "approx: digits compare exactly" "$JOHN"
check '(description~=555 0101)' "approx: other digits do not match"
check '(!(sn~=Smith))' "NOT approx" "$B" "$SALES" "$PAT"

# ----------------------------------------------- python-ldap
cat >"$T_DIR/ext.py" <<'EOF'
import sys
import ldap

url, who, pw, base = sys.argv[1:5]
c = ldap.initialize(url)
c.simple_bind_s(who, pw)
for filt in sys.stdin.read().splitlines():
    try:
        res = c.search_s(base, ldap.SCOPE_SUBTREE, filt, ["1.1"])
        dns = sorted(dn for dn, _ in res if dn is not None)
        print("%s\t0\t%s" % (filt, "|".join(dns)))
    except ldap.LDAPError as e:
        print("%s\t%s\t" % (filt, e.args[0].get("result", -1)))
EOF
declare -A PYWANT
PYWANT['(cn:caseExactMatch:=John Smith)']=$JOHN
PYWANT['(cn:2.5.13.5:=john smith)']=
PYWANT['(mail:caseIgnoreIA5Match:=mary@example.com)']=$MARY
PYWANT['(userAccountControl:integerMatch:=512)']="$JOHN|$PAT"
PYWANT['(userAccountControl:2.5.13.15:=513)']="$JOHN|$PAT"
PYWANT['(vmwPasswordNeverExpires:booleanMatch:=TRUE)']=$JOHN
PYWANT['(description:2.5.13.8:=555 0100)']=$JOHN
PYWANT['(cn:2.5.13.17:=Jon Smyth)']=$JON
PYWANT['(:integerMatch:=66048)']=$MARY
PYWANT['(:dn:caseIgnoreMatch:=sales)']="$PAT|$SALES"
PYWANT['(ou:dn:=Sales)']="$PAT|$SALES"
PYWANT['(cn:noSuchMatch:=x)']=
PYWANT['(:1.2.3.4:=x)']=
PYWANT['(sn~=smith)']="$JOHN|$JON|$MARY"
PYWANT['(cn~=jonn smith)']="$JOHN|$JON"
if ! "$PY" -c 'import ldap' 2>/dev/null; then
	echo "# python-ldap (python3-ldap) missing"
	is missing present "python-ldap is installed"
else
	pyout=$(printf '%s\n' "${!PYWANT[@]}" |
	    "$PY" "$T_DIR/ext.py" "$(url "$N")" "$ADMIN_DN" "$ADMIN_PW" "$B" 2>&1)
	is "$(wc -l <<<"$pyout")" "${#PYWANT[@]}" "python-ldap: one answer per filter"
	for f in "${!PYWANT[@]}"; do
		line=$(awk -F'\t' -v f="$f" '$1 == f' <<<"$pyout")
		is "$(cut -f2 <<<"$line")" 0 "python-ldap $f: success"
		is "$(cut -f3 <<<"$line")" "$(tr '|' '\n' <<<"${PYWANT[$f]}" |
		    LC_ALL=C sort | paste -sd'|')" "python-ldap $f: exact DNs"
	done
fi

survived "$N" "extensible and approximate searches"
ok "vmdird stops cleanly" node_stop "$N"
done_testing
