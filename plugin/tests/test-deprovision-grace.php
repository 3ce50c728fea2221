<?php
/**
 * Checks of the grace period of the delete policy (Deprovision_Grace and the writer's
 * deprovision paths): disabled at once, deleted by the daily job once due, cancelled when
 * provisioned again, the writer's safety rules kept at the deadline.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Connection;
use UserSync\Deprovision_Grace;
use UserSync\Login_Guard;

/**
 * Stores a deprovisioning policy through the config route, as an admin would.
 *
 * @param array<string, mixed> $policy Part of `deprovision`.
 */
function grace_policy( array $policy ): void {
	$admin    = make_user( 'administrator' );
	$response = rest( $admin, 'PUT', '/config', array( 'deprovision' => $policy ) );
	same( 200, $response['status'], 'policy stored: ' . wp_json_encode( $response['data'] ) );
}

/**
 * A user created and linked by a connection.
 *
 * @param int                  $service    Service user.
 * @param string               $connection Connection.
 * @param string               $name       Login suffix.
 * @param array<string, mixed> $fields     More user fields.
 * @return array<string, mixed> Snapshot.
 */
function grace_user( int $service, string $connection, string $name, array $fields = array() ): array {
	$result = user_batch(
		$service,
		$connection,
		array(
			array(
				'ref'    => 'c',
				'action' => 'create',
				'user'   => array(
					'login'      => $connection . '-' . $name,
					'email'      => $connection . '-' . $name . '@example.test',
					'externalId' => 'ext-' . $name,
					'password'   => 'secret-' . $name,
				) + $fields,
			),
		)
	)[0];
	same( 'created', $result['status'] ?? null, 'created ' . $name );
	return $result['user'];
}

/**
 * Audit rows of a source (or of the job, for one user), oldest first, as
 * [action, result, fields, error].
 *
 * @param string   $source  Source.
 * @param int|null $user_id Only this user.
 * @return array<int, array{0: string, 1: string, 2: string[], 3: ?string}>
 */
function grace_audit( string $source, ?int $user_id = null ): array {
	global $wpdb;
	$sql  = $wpdb->prepare( "SELECT action, result, fields, error FROM {$wpdb->prefix}usersync_audit WHERE source = %s", $source );
	$sql .= null === $user_id ? '' : $wpdb->prepare( ' AND user_id = %d', $user_id );
	$rows = $wpdb->get_results( $sql . ' ORDER BY id' );
	return array_map( static fn( $row ) => array( $row->action, $row->result, json_decode( (string) $row->fields, true ), $row->error ), $rows );
}

/**
 * Makes a pending deletion due (its deadline a minute ago) and runs the daily job's hook.
 *
 * @param int $user_id User.
 */
function grace_run_job_after_deadline( int $user_id ): void {
	update_user_meta( $user_id, Deprovision_Grace::due_key(), (string) ( time() - MINUTE_IN_SECONDS ) );
	do_action( Deprovision_Grace::CRON_HOOK );
	clean_user_cache( $user_id );
}

check(
	'deprovision grace: a delete disables, unlinks and schedules the deletion; nothing is deleted before the deadline',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$admin      = make_user( 'administrator' );
		$connection = connection();
		grace_policy( array( 'action' => 'delete', 'graceDays' => 7 ) );
		$before = rest( $admin, 'GET', '/deprovision/pending' )['data']['count'];
		$user   = grace_user( $service, $connection, 'al', array( 'roles' => array( 'editor' ) ) );

		$asked   = time();
		$results = user_batch( $service, $connection, array( array( 'ref' => 'x', 'action' => 'delete', 'id' => $user['id'] ) ) );
		same( true, $results[0]['ok'], 'delete ok' );
		same( 'deleted', $results[0]['status'], 'gone for the connection' );
		same( false, $results[0]['user']['active'], 'disabled' );
		same( false, $results[0]['user']['linked'], 'unlinked' );
		same( array(), $results[0]['user']['roles'], 'no roles while disabled' );
		ok( false !== get_userdata( $user['id'] ), 'the user still exists' );
		$login = wp_authenticate( $user['login'], 'secret-al' );
		ok( is_wp_error( $login ) && 'usersync_disabled' === $login->get_error_code(), 'login refused' );
		same( 0, rest( $service, 'GET', '/users', array( 'connection' => $connection, 'external_id' => 'ext-al' ) )['data']['total'], 'no longer found by external id' );

		$due = Deprovision_Grace::due( $user['id'] );
		ok( null !== $due && abs( $due - ( $asked + 7 * DAY_IN_SECONDS ) ) <= 5, 'due in 7 days, got ' . wp_json_encode( $due ) );
		same( $connection, get_user_meta( $user['id'], Deprovision_Grace::request_key(), true )['connection'] ?? null, 'the connection that asked is recorded' );
		$audit = grace_audit( 'test:' . $connection, $user['id'] );
		same( array( 'disable', 'success', array( 'active', 'roles', 'link', Deprovision_Grace::scheduled_field( $due ) ), null ), end( $audit ), 'audit: disabled and scheduled for deletion on its date' );
		ok( 1 === preg_match( '/^delete_after:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', Deprovision_Grace::scheduled_field( $due ) ), 'the audit field names the UTC date' );

		$pending = rest( $admin, 'GET', '/deprovision/pending' );
		same( 200, $pending['status'], 'pending route' );
		same( $before + 1, $pending['data']['count'], 'one more user pending' );
		ok( null !== $pending['data']['nextDueAt'] && strtotime( $pending['data']['nextDueAt'] ) <= $due, 'next due date' );
		same( 403, rest( $service, 'GET', '/deprovision/pending' )['status'], 'the service user may not read it' );
		$listed = array_values( array_filter( $pending['data']['users'], static fn( $u ) => $u['id'] === $user['id'] ) );
		same( array( $connection ), array_column( $listed, 'connection' ), 'listed with the connection that asked' );

		// An admin keeps one user: its deletion is cancelled, it stays disabled.
		$other = grace_user( $service, $connection, 'kept' );
		user_batch( $service, $connection, array( array( 'ref' => 'k', 'action' => 'delete', 'id' => $other['id'] ) ) );
		ok( null !== Deprovision_Grace::due( $other['id'] ), 'the second user is pending' );
		$cancelled = rest( $admin, 'DELETE', '/deprovision/pending/' . $other['id'] );
		same( 200, $cancelled['status'], 'cancelled: ' . wp_json_encode( $cancelled['data'] ) );
		same( null, Deprovision_Grace::due( $other['id'] ), 'no deletion pending any more' );
		ok( Login_Guard::is_disabled( $other['id'] ), 'still disabled' );
		same( 404, rest( $admin, 'DELETE', '/deprovision/pending/' . $other['id'] )['status'], 'nothing left to cancel' );
		same( 403, rest( $service, 'DELETE', '/deprovision/pending/' . $user['id'] )['status'], 'the service user may not cancel' );

		$job = Deprovision_Grace::delete_due();
		ok( false !== get_userdata( $user['id'] ), 'the job leaves a user not yet due' );
		same( $due, Deprovision_Grace::due( $user['id'] ), 'still pending, same deadline' );
		same( 0, $job['deleted'], 'nothing deleted' );
	}
);

check(
	'deprovision grace: once due, the daily job deletes the user, gives the content to the heir and audits it',
	static function (): void {
		global $wpdb;
		$service    = make_user( 'usersync_service' );
		$heir       = make_user( 'editor' );
		$connection = connection();
		grace_policy( array( 'action' => 'delete', 'graceDays' => 30, 'reassignTo' => $heir ) );
		$user = grace_user( $service, $connection, 'bo' );

		$results = user_batch( $service, $connection, array( array( 'ref' => 'x', 'action' => 'deprovision', 'id' => $user['id'] ) ) );
		same( 'disabled', $results[0]['status'], 'deprovision disables' );
		same( true, $results[0]['user']['linked'], 'a deprovisioned user stays linked, so its source can enable it again' );
		$due = Deprovision_Grace::due( $user['id'] );
		ok( null !== $due, 'scheduled' );

		$again = user_batch( $service, $connection, array( array( 'ref' => 'y', 'action' => 'deprovision', 'id' => $user['id'] ) ) );
		same( 'unchanged', $again[0]['status'], 'deprovisioned again: nothing to do' );
		same( $due, Deprovision_Grace::due( $user['id'] ), 'the deadline is kept' );

		$post   = wp_insert_post( array( 'post_title' => 'Owned', 'post_status' => 'publish', 'post_author' => $user['id'] ) );
		$outbox = (int) $wpdb->get_var( "SELECT MAX(id) FROM {$wpdb->prefix}usersync_outbox" );
		grace_run_job_after_deadline( $user['id'] );

		same( false, get_userdata( $user['id'] ), 'deleted' );
		same( $heir, (int) get_post( $post )->post_author, 'content reassigned' );
		same( array( array( 'delete', 'success', array(), null ) ), grace_audit( Deprovision_Grace::AUDIT_SOURCE, $user['id'] ), 'audited as the grace period' );
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT action, origin FROM {$wpdb->prefix}usersync_outbox WHERE id > %d AND user_id = %d", $outbox, $user['id'] ) );
		same( array( 'delete', $connection ), array( $row->action ?? null, $row->origin ?? null ), 'outbox: a delete of the connection that asked' );
		wp_delete_post( $post, true );
	}
);

check(
	'deprovision grace: provisioned again before the deadline, the deletion is cancelled',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		grace_policy( array( 'action' => 'delete', 'graceDays' => 7 ) );
		$cases = array(
			'enabled by an update' => array( 'action' => 'update', 'user' => array( 'active' => true ) ),
			'reactivated'          => array( 'action' => 'reactivate' ),
		);
		foreach ( $cases as $name => $operation ) {
			$user = grace_user( $service, $connection, sanitize_key( $name ), array( 'roles' => array( 'author' ) ) );
			user_batch( $service, $connection, array( array( 'ref' => 'd', 'action' => 'deprovision', 'id' => $user['id'] ) ) );
			ok( null !== Deprovision_Grace::due( $user['id'] ), "$name: scheduled" );

			$results = user_batch( $service, $connection, array( array( 'ref' => 'r', 'id' => $user['id'] ) + $operation ) );
			same( 'reactivated', $results[0]['status'], "$name: status" );
			same( array( 'author' ), $results[0]['user']['roles'], "$name: roles back" );
			same( null, Deprovision_Grace::due( $user['id'] ), "$name: no longer pending" );
			same( '', get_user_meta( $user['id'], Deprovision_Grace::request_key(), true ), "$name: request forgotten" );
			$audit = grace_audit( 'test:' . $connection, $user['id'] );
			ok( in_array( array( 'update', 'success', array( Deprovision_Grace::CANCELLED_FIELD ), null ), $audit, true ), "$name: cancellation audited" );

			do_action( Deprovision_Grace::CRON_HOOK );
			ok( false !== get_userdata( $user['id'] ), "$name: the job leaves the user" );
		}

		// Enabled behind the sync's back: the job cancels instead of deleting.
		$user = grace_user( $service, $connection, 'local' );
		user_batch( $service, $connection, array( array( 'ref' => 'd', 'action' => 'deprovision', 'id' => $user['id'] ) ) );
		delete_user_meta( $user['id'], 'usersync_disabled' );
		grace_run_job_after_deadline( $user['id'] );
		ok( false !== get_userdata( $user['id'] ), 'an enabled user is not deleted' );
		same( null, Deprovision_Grace::due( $user['id'] ), 'its deletion is cancelled' );
		same( array( array( 'update', 'success', array( Deprovision_Grace::CANCELLED_FIELD ), null ) ), grace_audit( Deprovision_Grace::AUDIT_SOURCE, $user['id'] ), 'and audited' );
	}
);

check(
	'deprovision grace: at the deadline the job keeps the safety rules; a refused user stays pending',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$heir       = make_user( 'editor' );

		// An administrator scheduled while the policy allowed it, then protected again.
		grace_policy( array( 'action' => 'delete', 'graceDays' => 7, 'touchAdministrators' => true ) );
		$admin = make_user( 'administrator' );
		add_user_meta( $admin, 'usersync_link_' . $connection, 'adm' );
		$results = user_batch( $service, $connection, array( array( 'ref' => 'a', 'action' => 'deprovision', 'id' => $admin ) ) );
		same( 'disabled', $results[0]['status'], 'administrator scheduled' );
		grace_policy( array( 'action' => 'delete', 'graceDays' => 7, 'touchAdministrators' => false ) );
		grace_run_job_after_deadline( $admin );
		ok( false !== get_userdata( $admin ), 'the administrator is not deleted' );
		ok( null !== Deprovision_Grace::due( $admin ), 'and stays pending for the next run' );
		$audit = grace_audit( Deprovision_Grace::AUDIT_SOURCE, $admin );
		same( array( 'delete', 'failure' ), array( $audit[0][0] ?? null, $audit[0][1] ?? null ), 'refusal audited' );
		ok( false !== strpos( (string) $audit[0][3], 'administrator' ), 'saying why: ' . $audit[0][3] );

		// The user content goes to: refused when scheduling, and by the job when the heir changed since.
		grace_policy( array( 'action' => 'delete', 'graceDays' => 7, 'reassignTo' => $heir ) );
		add_user_meta( $heir, 'usersync_link_' . $connection, 'heir' );
		$results = user_batch( $service, $connection, array( array( 'ref' => 'h', 'action' => 'delete', 'id' => $heir ) ) );
		same( array( 409, 'usersync_invalid_reassign' ), array( $results[0]['error']['status'] ?? null, $results[0]['error']['code'] ?? null ), 'the heir is not scheduled' );
		same( null, Deprovision_Grace::due( $heir ), 'nothing pending' );
		ok( ! Login_Guard::is_disabled( $heir ), 'nor disabled' );

		$user = grace_user( $service, $connection, 'cy' );
		user_batch( $service, $connection, array( array( 'ref' => 'c', 'action' => 'delete', 'id' => $user['id'] ) ) );
		grace_policy( array( 'action' => 'delete', 'graceDays' => 7, 'reassignTo' => $user['id'] ) );
		grace_run_job_after_deadline( $user['id'] );
		ok( false !== get_userdata( $user['id'] ), 'the new heir is not deleted' );
		ok( null !== Deprovision_Grace::due( $user['id'] ), 'and stays pending' );
		same( 'failure', grace_audit( Deprovision_Grace::AUDIT_SOURCE, $user['id'] )[0][1] ?? null, 'refusal audited' );

		// Switching the policy to disable cancels what is pending; the users stay disabled.
		grace_policy( array( 'action' => 'disable', 'reassignTo' => null ) );
		same( null, Deprovision_Grace::due( $user['id'] ), 'cancelled by the disable policy' );
		same( null, Deprovision_Grace::due( $admin ), 'the administrator too' );
		ok( Login_Guard::is_disabled( $user['id'] ), 'still disabled' );
	}
);

check(
	'deprovision grace: with graceDays 0 the delete policy still deletes at once',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		grace_policy( array( 'action' => 'delete', 'graceDays' => 0 ) );
		$user    = grace_user( $service, $connection, 'di' );
		$results = user_batch( $service, $connection, array( array( 'ref' => 'x', 'action' => 'delete', 'id' => $user['id'] ) ) );
		same( 'deleted', $results[0]['status'], 'status' );
		same( null, $results[0]['user'], 'no snapshot' );
		same( false, get_userdata( $user['id'] ), 'deleted at once' );
		same( array( 'delete', 'success', array(), null ), grace_audit( 'test:' . $connection, $user['id'] )[1] ?? null, 'audited as a delete' );
	}
);

check(
	'deprovision: a deactivation follows "when a source deactivates a user" (disable by default, delete at once or after the grace period)',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$heir       = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID', 'orderby' => 'ID' ) )[0];
		$deactivate = static function ( array $user ) use ( $service, $connection ): array {
			return user_batch( $service, $connection, array( array( 'ref' => 'off', 'action' => 'update', 'id' => $user['id'], 'user' => array( 'active' => false ) ) ) )[0];
		};

		// Removal deletes, deactivation keeps its default: disable only (installs from before).
		grace_policy( array( 'action' => 'delete', 'graceDays' => 0, 'reassignTo' => $heir ) );
		$kept   = grace_user( $service, $connection, 'kept' );
		$result = $deactivate( $kept );
		same( 'disabled', $result['status'] ?? null, 'deactivated under the default: disabled' );
		ok( false !== get_userdata( $kept['id'] ) && Login_Guard::is_disabled( $kept['id'] ), 'and kept' );

		grace_policy( array( 'action' => 'disable', 'deactivate' => 'delete', 'graceDays' => 0, 'reassignTo' => $heir ) );
		$gone   = grace_user( $service, $connection, 'gone' );
		$result = $deactivate( $gone );
		same( 'deleted', $result['status'] ?? null, 'deactivated under "delete", no grace: deleted' );
		ok( false === get_userdata( $gone['id'] ), 'the account is gone' );

		grace_policy( array( 'action' => 'disable', 'deactivate' => 'delete', 'graceDays' => 7, 'reassignTo' => $heir ) );
		$later  = grace_user( $service, $connection, 'later' );
		$result = $deactivate( $later );
		same( 'disabled', $result['status'] ?? null, 'with a grace period: disabled now' );
		ok( null !== Deprovision_Grace::due( $later['id'] ), 'and its deletion scheduled' );
		$again = user_batch( $service, $connection, array( array( 'ref' => 'on', 'action' => 'update', 'id' => $later['id'], 'user' => array( 'active' => true ) ) ) )[0];
		same( 'reactivated', $again['status'] ?? null, 'enabled again' );
		same( null, Deprovision_Grace::due( $later['id'] ), 'which cancels the deletion' );

		$pending = grace_user( $service, $connection, 'pending' );
		$deactivate( $pending );
		ok( null !== Deprovision_Grace::due( $pending['id'] ), 'scheduled' );
		grace_policy( array( 'action' => 'disable', 'deactivate' => 'disable' ) );
		same( null, Deprovision_Grace::due( $pending['id'] ), 'switching both to disable cancels it' );
	}
);

check(
	'deprovision: a purge delete deletes at once under the disable policy, the content going to the heir; without purge the user is only disabled',
	static function (): void {
		$service    = make_user( 'usersync_service' );
		$connection = connection();
		$heir       = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID', 'orderby' => 'ID' ) )[0];
		grace_policy( array( 'action' => 'disable', 'graceDays' => 0, 'reassignTo' => $heir ) );

		$kept    = grace_user( $service, $connection, 'pk' );
		$results = user_batch( $service, $connection, array( array( 'ref' => 'x', 'action' => 'delete', 'id' => $kept['id'] ) ) );
		same( 'deleted', $results[0]['status'], 'gone for the connection' );
		ok( false !== get_userdata( $kept['id'] ) && Login_Guard::is_disabled( $kept['id'] ), 'without purge: kept, disabled' );

		$gone = grace_user( $service, $connection, 'pg' );
		$post = wp_insert_post(
			array(
				'post_title'  => 'Written by pg',
				'post_author' => $gone['id'],
				'post_status' => 'publish',
			)
		);
		$results = user_batch( $service, $connection, array( array( 'ref' => 'y', 'action' => 'delete', 'id' => $gone['id'], 'purge' => true ) ) );
		same( true, $results[0]['ok'], 'purge ok: ' . wp_json_encode( $results[0] ) );
		same( 'deleted', $results[0]['status'], 'status' );
		same( null, $results[0]['user'], 'no snapshot' );
		same( false, get_userdata( $gone['id'] ), 'deleted at once' );
		same( $heir, (int) get_post( $post )->post_author, 'the content went to the heir' );

		$protected = make_user( 'administrator' );
		update_user_meta( $protected, Connection::link_key( $connection ), 'ext-admin' );
		$refused = user_batch( $service, $connection, array( array( 'ref' => 'z', 'action' => 'delete', 'id' => $protected, 'purge' => true ) ) );
		same( false, $refused[0]['ok'], 'an administrator is not purged' );
		ok( false !== get_userdata( $protected ), 'the administrator stays' );

		$bad = rest( $service, 'POST', '/users/batch', array( 'connection' => $connection, 'source' => 'test:' . $connection, 'operations' => array( array( 'ref' => 'b', 'action' => 'delete', 'id' => $kept['id'], 'purge' => 'yes' ) ) ) );
		same( 400, $bad['status'], 'purge must be a boolean' );
	}
);
