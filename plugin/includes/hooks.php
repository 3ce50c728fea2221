<?php
/**
 * Everything the plugin does to WordPress, wired in one place.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

// Schema and roles: upgrade in place when the code is newer than the stored version.
add_action( 'plugins_loaded', array( Installer::class, 'maybe_upgrade' ) );

// REST API: usersync/v1/*.
add_action(
	'rest_api_init',
	static function (): void {
		$controllers = array(
			new REST\Status_Controller(),
			new REST\Tokens_Controller(),
			new REST\Sidecar_Tokens_Controller(),
			new REST\Config_Controller(),
			new REST\Users_Controller(),
			new REST\Groups_Controller(),
			new REST\Audit_Controller(),
			new REST\Roles_Controller(),
			new REST\Connections_Controller(),
			new REST\Salesforce_Objects_Controller(),
			new REST\Runs_Controller(),
			new REST\Avatars_Controller(),
			new REST\Changes_Controller(),
			new REST\Sidecar_Audit_Controller(),
			new REST\Sidecar_Links_Controller(),
			new REST\Sidecar_Peers_Controller(),
			new REST\Sidecar_Passwords_Controller(),
			new REST\Outbound_Controller(),
			new REST\Deprovision_Controller(),
			new REST\User_Refresh_Controller(),
			new REST\User_Push_Controller(),
			new REST\User_Preview_Controller(),
			new REST\Settings_Transfer_Controller(),
		);
		foreach ( $controllers as $controller ) {
			$controller->register_routes();
		}
	}
);

// The identity-link index follows the link meta, whoever writes it.
add_action( 'added_user_meta', array( Links::class, 'on_meta_added' ), 10, 4 );
add_action( 'updated_user_meta', array( Links::class, 'on_meta_changed' ), 10, 3 );
add_action( 'deleted_user_meta', array( Links::class, 'on_meta_changed' ), 10, 3 );
add_action( 'deleted_user', array( Links::class, 'on_user_deleted' ), 10, 1 );

// Profile pictures brought by syncs replace Gravatar; their files go with their users.
add_filter( 'pre_get_avatar_data', array( Avatars::class, 'filter_avatar_data' ), 10, 2 );
add_action( 'delete_user', array( Avatars::class, 'on_delete_user' ), 10, 1 );
// Pictures an identity provider gives as a URL (SCIM photos), when no file was stored.
add_filter( 'pre_get_avatar_data', array( Avatar_Urls::class, 'filter_avatar_data' ), 20, 2 );

// Audit log retention: a daily prune, and one as soon as the period changes.
add_action( 'init', array( Audit_Retention::class, 'schedule' ) );
add_action( Audit_Retention::CRON_HOOK, array( Audit_Retention::class, 'prune' ) );
add_action( 'update_option_' . Config::OPTION, array( Audit_Retention::class, 'on_config_saved' ), 10, 2 );
add_action( 'add_option_' . Config::OPTION, array( Audit_Retention::class, 'on_config_saved' ), 10, 2 );

// Grace period of the delete policy: a daily job deletes the deprovisioned users now due;
// switching the policy to disable cancels the pending deletions.
add_action( 'init', array( Deprovision_Grace::class, 'schedule' ) );
add_action( Deprovision_Grace::CRON_HOOK, array( Deprovision_Grace::class, 'run' ), 10, 0 );
add_action( 'update_option_' . Config::OPTION, array( Deprovision_Grace::class, 'on_config_saved' ), 10, 2 );

// Settings page under Users.
$usersync_admin_page = new Admin\Admin_Page();
add_action( 'admin_menu', array( $usersync_admin_page, 'add_menu' ) );
add_action( 'admin_enqueue_scripts', array( $usersync_admin_page, 'enqueue' ) );
unset( $usersync_admin_page );

// WordPress's own Users screens: a Source column, a "Disabled by sync" view, a filter by
// connection, and a UserSync section on the profile.
$usersync_users_screen = new Admin\Users_Screen();
add_filter( 'manage_users_columns', array( $usersync_users_screen, 'add_column' ) );
add_filter( 'manage_users_custom_column', array( $usersync_users_screen, 'render_column' ), 10, 3 );
add_filter( 'views_users', array( $usersync_users_screen, 'add_view' ) );
add_action( 'restrict_manage_users', array( $usersync_users_screen, 'render_filter' ), 10, 1 );
add_filter( 'users_list_table_query_args', array( $usersync_users_screen, 'filter_query' ) );
add_action( 'show_user_profile', array( $usersync_users_screen, 'render_profile' ) );
add_action( 'edit_user_profile', array( $usersync_users_screen, 'render_profile' ) );
// "Sync these users now" on the list, "Sync now" / "Push now" on the profile, and their result.
add_filter( 'bulk_actions-users', array( $usersync_users_screen, 'add_bulk_action' ) );
add_filter( 'handle_bulk_actions-users', array( $usersync_users_screen, 'handle_bulk_action' ), 10, 3 );
add_action( 'admin_post_' . Admin\Users_Screen::SYNC_ACTION, array( $usersync_users_screen, 'handle_sync_now' ) );
add_action( 'admin_post_' . Admin\Users_Screen::PUSH_ACTION, array( $usersync_users_screen, 'handle_push_now' ) );
add_action( 'admin_notices', array( $usersync_users_screen, 'render_result_notice' ) );
foreach ( array( 'users.php', 'profile.php', 'user-edit.php' ) as $usersync_screen ) {
	add_action( 'admin_head-' . $usersync_screen, array( $usersync_users_screen, 'print_styles' ) );
}
unset( $usersync_users_screen, $usersync_screen );

// Outbox: every change of a user, whoever makes it, becomes one row.
$usersync_changes = Plugin::user_changes();
add_filter( 'wp_pre_insert_user_data', array( $usersync_changes, 'on_pre_insert_user_data' ), 10, 1 );
add_action( 'user_register', array( $usersync_changes, 'on_user_register' ), 10, 1 );
add_action( 'profile_update', array( $usersync_changes, 'on_profile_update' ), 10, 2 );
add_action( 'set_user_role', array( $usersync_changes, 'on_role_change' ), 10, 1 );
add_action( 'add_user_role', array( $usersync_changes, 'on_role_change' ), 10, 1 );
add_action( 'remove_user_role', array( $usersync_changes, 'on_role_change' ), 10, 1 );
add_action( 'added_user_meta', array( $usersync_changes, 'on_meta_set' ), 10, 4 );
add_action( 'updated_user_meta', array( $usersync_changes, 'on_meta_set' ), 10, 4 );
add_action( 'deleted_user_meta', array( $usersync_changes, 'on_meta_deleted' ), 10, 3 );
add_action( 'password_reset', array( $usersync_changes, 'on_password_reset_start' ), 10, 0 );
add_action( 'after_password_reset', array( $usersync_changes, 'on_after_password_reset' ), 10, 1 );
add_action( 'wp_set_password', array( $usersync_changes, 'on_set_password' ), 10, 2 );
add_action( 'delete_user', array( $usersync_changes, 'on_delete_user_start' ), 10, 0 );
add_action( 'wpmu_delete_user', array( $usersync_changes, 'on_delete_user_start' ), 10, 0 );
add_action( 'deleted_user', array( $usersync_changes, 'on_deleted_user' ), 10, 1 );
add_action( 'remove_user_from_blog', array( $usersync_changes, 'on_removed_from_site' ), 10, 2 );
add_action( 'clean_user_cache', array( $usersync_changes, 'on_clean_user_cache' ), 10, 2 );
add_action( 'shutdown', array( $usersync_changes, 'on_shutdown' ) );
unset( $usersync_changes );

// Disabled users stay out: password login, Application Passwords, cookies, password resets.
$usersync_guard = Plugin::login_guard();
add_filter( 'authenticate', array( $usersync_guard, 'on_authenticate' ), 99, 1 );
add_action( 'wp_authenticate_application_password_errors', array( $usersync_guard, 'on_application_password' ), 10, 2 );
add_filter( 'determine_current_user', array( $usersync_guard, 'on_determine_current_user' ), 99, 1 );
add_filter( 'rest_authentication_errors', array( $usersync_guard, 'on_rest_authentication_errors' ), 110, 1 );
add_filter( 'allow_password_reset', array( $usersync_guard, 'on_allow_password_reset' ), 10, 2 );
unset( $usersync_guard );
