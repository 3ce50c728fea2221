<?php
/**
 * Runs the plugin's PHP-level checks against a real WordPress site with UserSync active:
 *
 *     php plugin/tests/run.php --wp=/path/to/wordpress
 *
 * Every check works in its own connection and removes the users it made. Exit code 0
 * when all pass.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

require __DIR__ . '/bootstrap.php';

$usersync_files = array_merge( glob( __DIR__ . '/test-*.php' ), glob( __DIR__ . '/*/test-*.php' ) );
sort( $usersync_files );
foreach ( $usersync_files as $usersync_file ) {
	require $usersync_file;
}

$usersync_failed = 0;
foreach ( Suite::$checks as $usersync_name => $usersync_check ) {
	$usersync_config = get_option( 'usersync_config', null );
	try {
		$usersync_check();
		echo "ok      $usersync_name\n";
	} catch ( \Throwable $usersync_error ) {
		++$usersync_failed;
		echo "FAILED  $usersync_name\n        " . $usersync_error->getMessage() . "\n";
		if ( ! $usersync_error instanceof Failure ) {
			echo '        ' . str_replace( "\n", "\n        ", $usersync_error->getTraceAsString() ) . "\n";
		}
	}
	// Each check may change the configuration; put it back.
	if ( null === $usersync_config ) {
		delete_option( 'usersync_config' );
	} else {
		update_option( 'usersync_config', $usersync_config );
	}
}

foreach ( array_unique( Suite::$users ) as $usersync_user ) {
	if ( get_userdata( $usersync_user ) ) {
		wp_delete_user( $usersync_user );
	}
}

printf( "\n%d checks, %d failed\n", count( Suite::$checks ), $usersync_failed );
exit( $usersync_failed ? 1 : 0 );
