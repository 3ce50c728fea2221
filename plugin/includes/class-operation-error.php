<?php
/**
 * The failure of one batch operation.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Thrown while applying one operation; becomes that operation's `error` result. Carries
 * the HTTP status and the SCIM `scimType` the sidecar answers with.
 */
class Operation_Error extends \RuntimeException {

	/**
	 * HTTP status.
	 *
	 * @var int
	 */
	public int $status;

	/**
	 * Error code (`usersync_*`).
	 *
	 * @var string
	 */
	public string $error_code;

	/**
	 * SCIM scimType, or null.
	 *
	 * @var string|null
	 */
	public ?string $scim_type;

	/**
	 * Constructor.
	 *
	 * @param int         $status     HTTP status.
	 * @param string      $error_code Error code.
	 * @param string      $message    Human message.
	 * @param string|null $scim_type  SCIM scimType.
	 */
	public function __construct( int $status, string $error_code, string $message, ?string $scim_type = null ) {
		parent::__construct( $message );
		$this->status     = $status;
		$this->error_code = $error_code;
		$this->scim_type  = $scim_type;
	}

	/**
	 * 400 invalidValue.
	 *
	 * @param string $error_code Error code.
	 * @param string $message    Message.
	 */
	public static function invalid( string $error_code, string $message ): self {
		return new self( 400, $error_code, $message, 'invalidValue' );
	}

	/**
	 * From a WP_Error that WordPress returned while writing.
	 *
	 * @param WP_Error $error Error.
	 */
	public static function from_wp_error( WP_Error $error ): self {
		$map = array(
			'existing_user_login'  => array( 409, 'usersync_login_exists', 'uniqueness' ),
			'existing_user_email'  => array( 409, 'usersync_email_exists', 'uniqueness' ),
			'user_login_too_long'  => array( 400, 'usersync_invalid_login', 'invalidValue' ),
			'empty_user_login'     => array( 400, 'usersync_invalid_login', 'invalidValue' ),
			'invalid_username'     => array( 400, 'usersync_invalid_login', 'invalidValue' ),
			'user_nicename_too_long' => array( 400, 'usersync_invalid_login', 'invalidValue' ),
			'user_url_too_long'    => array( 400, 'usersync_invalid_url', 'invalidValue' ),
			'user_email_too_long'  => array( 400, 'usersync_invalid_email', 'invalidValue' ),
		);
		$code = (string) $error->get_error_code();
		if ( isset( $map[ $code ] ) ) {
			return new self( $map[ $code ][0], $map[ $code ][1], $error->get_error_message(), $map[ $code ][2] );
		}
		/* translators: 1: WordPress error code, 2: message */
		return new self( 500, 'usersync_write_failed', sprintf( __( 'WordPress refused the write (%1$s): %2$s', 'usersync' ), $code, $error->get_error_message() ) );
	}

	/**
	 * The `error` object of a batch result.
	 *
	 * @return array{status: int, code: string, scimType: ?string, message: string}
	 */
	public function to_array(): array {
		return array(
			'status'   => $this->status,
			'code'     => $this->error_code,
			'scimType' => $this->scim_type,
			'message'  => $this->getMessage(),
		);
	}
}
