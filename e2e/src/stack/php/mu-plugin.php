<?php
/**
 * Plugin Name: UserSync test stack
 * Description: Local test site settings: mail is written to a log file instead of being sent.
 *
 * @package UserSync
 */

add_filter(
	'pre_wp_mail',
	static function ( $short_circuit, $atts ) {
		if ( defined( 'USERSYNC_STACK_MAIL_LOG' ) ) {
			$entry = array(
				'time'    => gmdate( 'c' ),
				'to'      => $atts['to'],
				'subject' => $atts['subject'],
				'message' => $atts['message'],
			);
			file_put_contents( USERSYNC_STACK_MAIL_LOG, wp_json_encode( $entry ) . "\n", FILE_APPEND | LOCK_EX );
		}
		return true;
	},
	10,
	2
);
