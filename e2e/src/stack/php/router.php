<?php
/**
 * Router for PHP's built-in web server in front of a test site: real files are served as they
 * are, everything else goes to WordPress's index.php (pretty permalinks and /wp-json/).
 *
 * @package UserSync
 */

$usersync_root = rtrim( $_SERVER['DOCUMENT_ROOT'], '/' );
$usersync_path = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );
$usersync_file = $usersync_root . $usersync_path;

if ( '/' !== $usersync_path && is_file( $usersync_file ) ) {
	return false;
}

if ( '/' !== $usersync_path && is_dir( $usersync_file ) && is_file( $usersync_file . '/index.php' ) ) {
	if ( '/' !== substr( $usersync_path, -1 ) ) {
		// Like Apache's DirectorySlash, so that relative links inside /wp-admin/ resolve.
		$usersync_query = (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_QUERY );
		header( 'Location: ' . $usersync_path . '/' . ( '' === $usersync_query ? '' : '?' . $usersync_query ), true, 301 );
		return true;
	}
	return false;
}

$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $usersync_root . '/index.php';
chdir( $usersync_root );
require $usersync_root . '/index.php';
