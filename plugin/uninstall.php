<?php
/**
 * Removes everything UserSync stored: tables, options, user meta, the service role and the
 * capabilities. Runs when the plugin is deleted from wp-admin, never on deactivation.
 *
 * @package UserSync
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

/**
 * Removes UserSync's data from the current site.
 */
function usersync_uninstall_site(): void {
	global $wpdb;

	foreach ( array( 'usersync_outbox', 'usersync_audit', 'usersync_group_members', 'usersync_groups' ) as $table ) {
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query( "DROP TABLE IF EXISTS `{$wpdb->prefix}{$table}`" );
	}

	foreach ( array( 'usersync_db_version', 'usersync_config', 'usersync_tokens', 'usersync_tokens_last_used' ) as $option ) {
		delete_option( $option );
	}
	// Options added later under the same prefix.
	// phpcs:ignore WordPress.DB.DirectDatabaseQuery
	$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( 'usersync_' ) . '%' ) );

	// Profile pictures brought by syncs (uploads/usersync-avatars/).
	$uploads = wp_upload_dir( null, false );
	$avatars = $uploads['basedir'] . '/usersync-avatars';
	if ( is_dir( $avatars ) ) {
		foreach ( (array) glob( $avatars . '/*' ) as $file ) {
			if ( is_file( $file ) ) {
				wp_delete_file( $file );
			}
		}
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_rmdir
		@rmdir( $avatars );
	}

	// The grace period's daily job (deactivation removes it from one site of a network only).
	wp_clear_scheduled_hook( 'usersync_delete_due_users' );

	remove_role( 'usersync_service' );
	foreach ( wp_roles()->role_objects as $role ) {
		$role->remove_cap( 'usersync_manage' );
		$role->remove_cap( 'usersync_service' );
	}
}

if ( is_multisite() ) {
	foreach ( get_sites( array( 'fields' => 'ids', 'number' => 0 ) ) as $usersync_site_id ) {
		switch_to_blog( (int) $usersync_site_id );
		usersync_uninstall_site();
		restore_current_blog();
	}
} else {
	usersync_uninstall_site();
}

// User meta and the identity-link index are shared by every site of a network: remove them
// once. This file is included from inside a function, so the global must be named.
global $wpdb;
// phpcs:ignore WordPress.DB.DirectDatabaseQuery
$wpdb->query( "DROP TABLE IF EXISTS `{$wpdb->base_prefix}usersync_links`" );
// phpcs:ignore WordPress.DB.DirectDatabaseQuery
$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->usermeta} WHERE meta_key LIKE %s", $wpdb->esc_like( 'usersync_' ) . '%' ) );
wp_cache_flush();
