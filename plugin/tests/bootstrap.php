<?php
/**
 * Loads a WordPress site that has UserSync active, and the small assertion kit the checks
 * use. REST requests are dispatched for real with rest_do_request().
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use WP_REST_Request;

$usersync_wp = getenv( 'USERSYNC_TEST_WP' );
foreach ( $argv ?? array() as $usersync_arg ) {
	if ( 0 === strpos( $usersync_arg, '--wp=' ) ) {
		$usersync_wp = substr( $usersync_arg, 5 );
	}
}
if ( ! $usersync_wp || ! is_readable( rtrim( $usersync_wp, '/' ) . '/wp-load.php' ) ) {
	fwrite( STDERR, "Usage: php plugin/tests/run.php --wp=/path/to/wordpress (a site with UserSync active)\n" );
	exit( 2 );
}
$_SERVER['HTTP_HOST']   = $_SERVER['HTTP_HOST'] ?? 'localhost';
$_SERVER['REQUEST_URI'] = '/';
require rtrim( $usersync_wp, '/' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/user.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

if ( ! defined( 'USERSYNC_VERSION' ) ) {
	fwrite( STDERR, "UserSync is not active on this site.\n" );
	exit( 2 );
}

/**
 * Failed assertion.
 */
class Failure extends \Exception {
}

/**
 * Registry of checks and their results.
 */
final class Suite {

	/**
	 * Checks by name.
	 *
	 * @var array<string, callable>
	 */
	public static array $checks = array();

	/**
	 * Users created by the checks, deleted at the end.
	 *
	 * @var int[]
	 */
	public static array $users = array();
}

/**
 * Registers a check.
 *
 * @param string   $name  Name.
 * @param callable $check Body; throws Failure.
 */
function check( string $name, callable $check ): void {
	Suite::$checks[ $name ] = $check;
}

/**
 * Asserts a condition.
 *
 * @param bool   $condition Condition.
 * @param string $message   What was expected.
 * @throws Failure When false.
 */
function ok( bool $condition, string $message ): void {
	if ( ! $condition ) {
		throw new Failure( $message );
	}
}

/**
 * Asserts equality.
 *
 * @param mixed  $expected Expected.
 * @param mixed  $actual   Actual.
 * @param string $message  Context.
 * @throws Failure When different.
 */
function same( $expected, $actual, string $message ): void {
	if ( $expected !== $actual ) {
		throw new Failure( $message . ': expected ' . wp_json_encode( $expected ) . ', got ' . wp_json_encode( $actual ) );
	}
}

/**
 * Dispatches a REST request as a user.
 *
 * @param int                  $user_id User.
 * @param string               $method  Method.
 * @param string               $route   Route under /usersync/v1.
 * @param array<string, mixed> $body    JSON body or query.
 * @return array{status: int, data: mixed}
 */
function rest( int $user_id, string $method, string $route, array $body = array() ): array {
	wp_set_current_user( $user_id );
	$request = new WP_REST_Request( $method, '/usersync/v1' . $route );
	if ( 'GET' === $method ) {
		$request->set_query_params( $body );
	} else {
		$request->set_header( 'Content-Type', 'application/json' );
		$request->set_body( (string) wp_json_encode( $body ) );
	}
	$response = rest_do_request( $request );
	$data     = rest_get_server()->response_to_data( $response, false );
	wp_set_current_user( 0 );
	return array(
		'status' => $response->get_status(),
		'data'   => json_decode( (string) wp_json_encode( $data ), true ),
	);
}

/**
 * A throwaway user.
 *
 * @param string $role Role.
 */
function make_user( string $role ): int {
	$login = 'ustest-' . $role . '-' . wp_generate_password( 6, false );
	$id    = wp_insert_user(
		array(
			'user_login' => strtolower( $login ),
			'user_email' => strtolower( $login ) . '@example.test',
			'user_pass'  => wp_generate_password( 24 ),
			'role'       => $role,
		)
	);
	Suite::$users[] = (int) $id;
	return (int) $id;
}

/**
 * A fresh connection slug, so checks never see each other's data.
 */
function connection(): string {
	return 'ustest-' . strtolower( wp_generate_password( 8, false ) );
}

/**
 * Runs one batch of user operations as the service user.
 *
 * @param int                  $service    Service user.
 * @param string               $connection Connection.
 * @param array<int, mixed>    $operations Operations.
 * @return array<int, array<string, mixed>> Results.
 */
function user_batch( int $service, string $connection, array $operations ): array {
	$response = rest( $service, 'POST', '/users/batch', array( 'connection' => $connection, 'source' => 'test:' . $connection, 'operations' => $operations ) );
	same( 200, $response['status'], 'users/batch status' );
	foreach ( $response['data']['results'] as $result ) {
		if ( ! empty( $result['user']['id'] ) ) {
			Suite::$users[] = (int) $result['user']['id'];
		}
	}
	return $response['data']['results'];
}
