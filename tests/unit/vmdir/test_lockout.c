/*
 * test_lockout.c: the password policy's rules, generated passwords, and
 * the lockout of accounts after failed binds, on a clock the test moves.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "../tap.h"

struct server *srv;

static time_t now = 1000;

static time_t
fake_clock(void)
{
	return now;
}

static void
test_rules(void)
{
	struct policy p;
	struct diag d;

	policy_defaults(&p);
	is_int(policy_check_password(&p, "Adm1n!Pass", 10, &d), LDAP_SUCCESS,
	    "a password meeting every rule passes");
	is_int(policy_check_password(&p, "Ab1!abc", 7, &d), LDAP_CONSTRAINT_VIOLATION,
	    "7 characters: constraint violation");
	is_str(d.text, "password policy: at least 8 characters required",
	    "too short: the message names the minimum length");
	policy_check_password(&p, "Ab1!abcdefghijklmnopq", 21, &d);
	is_str(d.text, "password policy: at most 20 characters allowed",
	    "too long: the message names the maximum length");
	policy_check_password(&p, "Abc1defgh", 9, &d);
	is_str(d.text, "password policy: at least 1 special character(s) required",
	    "no special character");
	policy_check_password(&p, "Abc!defgh", 9, &d);
	is_str(d.text, "password policy: at least 1 numeric character(s) required",
	    "no digit");
	policy_check_password(&p, "abc!defg1", 9, &d);
	is_str(d.text, "password policy: at least 1 uppercase letter(s) required",
	    "no uppercase letter");
	policy_check_password(&p, "ABC!DEFG1", 9, &d);
	is_str(d.text, "password policy: at least 1 lowercase letter(s) required",
	    "no lowercase letter");
	is_int(policy_check_password(&p, "Ab1!\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 12, &d),
	    LDAP_SUCCESS, "length counts UTF-8 characters, not bytes");
}

static void
test_generate(void)
{
	struct policy p;
	struct diag d;
	char *pw;
	bool all = true;

	policy_defaults(&p);
	for (int i = 0; i < 500 && all; i++) {
		if ((pw = pwd_generate(&p)) == NULL)
			all = false;
		else {
			all = policy_check_password(&p, pw, strlen(pw), &d) == LDAP_SUCCESS;
			free(pw);
		}
	}
	ok(all, "500 generated passwords meet the default policy");
	p.min_length = 12, p.max_length = 12, p.min_special = 3, p.min_upper = 4;
	pw = pwd_generate(&p);
	ok(pw != NULL && strlen(pw) == 12 &&
	    policy_check_password(&p, pw, strlen(pw), &d) == LDAP_SUCCESS,
	    "a generated password meets a stricter policy (length 12, 3 special, 4 upper)");
	free(pw);
}

static void
test_lockout(void)
{
	struct policy p;
	struct stats s0, s1;
	bool locked = false;

	policy_defaults(&p);
	lockout_set_clock(fake_clock);
	stats_snapshot(&s0);
	for (int i = 0; i < 4; i++)
		locked |= lockout_fail("cn=a", &p);
	ok(!locked && !lockout_locked("cn=a", &p), "4 failures: not locked");
	ok(lockout_fail("cn=a", &p), "the 5th failure locks");
	ok(lockout_locked("cn=a", &p), "locked afterwards");
	ok(!lockout_locked("cn=b", &p), "another account is not locked");
	ok(!lockout_fail("cn=a", &p), "failures while locked do not lock again");
	stats_snapshot(&s1);
	is_int(s1.bind_failures - s0.bind_failures, 6, "every failure is counted");
	is_int(s1.lockouts - s0.lockouts, 1, "one lock is counted");
	now += 299;
	ok(lockout_locked("cn=a", &p), "still locked after 299 s");
	now += 1;
	ok(!lockout_locked("cn=a", &p), "unlocked after 300 s");
	ok(!lockout_fail("cn=a", &p), "after the lock, failures count from zero");

	now += 1000;
	for (int i = 0; i < 4; i++)
		lockout_fail("cn=c", &p);
	now += 180;
	ok(!lockout_fail("cn=c", &p), "failures older than the window do not add up");
	for (int i = 0; i < 3; i++)
		lockout_fail("cn=c", &p);
	ok(lockout_fail("cn=c", &p), "5 failures within the window lock");

	for (int i = 0; i < 4; i++)
		lockout_fail("cn=d", &p);
	lockout_clear("cn=d");
	ok(!lockout_fail("cn=d", &p), "a good bind forgets earlier failures");

	for (int i = 0; i < 5; i++)
		lockout_fail("cn=e", &p);
	p.unlock_interval = 3;
	now += 3;
	ok(!lockout_locked("cn=e", &p), "a shorter unlock interval frees locked accounts");

	p.unlock_interval = 300;
	for (int i = 0; i < 5; i++) {
		lockout_fail("cn=g", &p);
		lockout_fail("cn=g from 10.0.0.1", &p);
		lockout_fail("cn=gg", &p);
	}
	lockout_forget("cn=g");
	ok(!lockout_locked("cn=g", &p) && !lockout_locked("cn=g from 10.0.0.1", &p),
	    "a new password forgets every record of the account");
	ok(lockout_locked("cn=gg", &p), "but not those of another account");

	p.max_failures = 0;
	for (int i = 0; i < 20; i++)
		locked = lockout_fail("cn=f", &p);
	ok(!locked && !lockout_locked("cn=f", &p), "0 failures allowed: never locks");
	lockout_set_clock(NULL);
}

int
main(void)
{
	test_rules();
	test_generate();
	test_lockout();
	return tap_done();
}
