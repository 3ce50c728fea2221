<?php
/**
 * What every batch write shares: one transaction per operation, its audit row, its result.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * The envelope of the user and group writers: an operation's writes run in one transaction
 * that is committed with its success audit row or rolled back with its failure row, and its
 * outcome becomes one entry of the batch's results.
 */
final class Batch_Envelope {

	/**
	 * Connection slug.
	 *
	 * @var string
	 */
	private string $connection;

	/**
	 * Audit source, e.g. 'scim:Entra production'.
	 *
	 * @var string
	 */
	private string $source;

	/**
	 * Run id for the audit log.
	 *
	 * @var string|null
	 */
	private ?string $run_id;

	/**
	 * Constructor.
	 *
	 * @param string      $connection Connection slug.
	 * @param string      $source     Audit source.
	 * @param string|null $run_id     Run id.
	 */
	public function __construct( string $connection, string $source, ?string $run_id ) {
		$this->connection = $connection;
		$this->source     = $source;
		$this->run_id     = $run_id;
	}

	/**
	 * The ref of an operation as its result names it: its own, or its position.
	 *
	 * @param mixed $operation Raw operation.
	 * @param int   $index     Position in the batch.
	 */
	public static function ref( $operation, int $index ): string {
		return is_array( $operation ) && isset( $operation['ref'] ) && ( is_string( $operation['ref'] ) || is_int( $operation['ref'] ) )
			? (string) $operation['ref']
			: (string) $index;
	}

	/**
	 * The parts every batch operation has, checked alike for users and groups: a JSON object
	 * with known fields only, one of the writer's actions, the object's id (except on create)
	 * and an optional ifMatch.
	 *
	 * @param mixed    $operation  Raw operation.
	 * @param string[] $keys       The fields an operation of this writer may have.
	 * @param string[] $actions    The writer's actions.
	 * @param string   $id_message What a wrong id is told.
	 * @return array{action: string, id: int|null, ifMatch: string|null}
	 * @throws Operation_Error On invalid input.
	 */
	public static function header( $operation, array $keys, array $actions, string $id_message ): array {
		if ( ! Json::is_object( $operation ) ) {
			throw Operation_Error::invalid( 'usersync_invalid_operation', __( 'Each operation must be a JSON object.', 'usersync' ) );
		}
		$unknown = array_diff( array_keys( $operation ), $keys );
		if ( $unknown ) {
			/* translators: %s: field names */
			throw Operation_Error::invalid( 'usersync_invalid_operation', sprintf( __( 'Unknown operation field(s): %s.', 'usersync' ), implode( ', ', $unknown ) ) );
		}
		$action = $operation['action'] ?? null;
		if ( ! is_string( $action ) || ! in_array( $action, $actions, true ) ) {
			/* translators: %s: allowed actions */
			throw Operation_Error::invalid( 'usersync_invalid_action', sprintf( __( 'action must be one of: %s.', 'usersync' ), implode( ', ', $actions ) ) );
		}
		$id = null;
		if ( 'create' !== $action ) {
			$id = $operation['id'] ?? null;
			if ( is_string( $id ) && ctype_digit( $id ) ) {
				$id = (int) $id;
			}
			if ( ! is_int( $id ) || $id <= 0 ) {
				throw Operation_Error::invalid( 'usersync_invalid_id', $id_message );
			}
		}
		$if_match = $operation['ifMatch'] ?? null;
		if ( null !== $if_match && ! is_string( $if_match ) ) {
			throw Operation_Error::invalid( 'usersync_invalid_operation', __( 'ifMatch must be a string.', 'usersync' ) );
		}
		return array(
			'action'  => $action,
			'id'      => $id,
			'ifMatch' => $if_match,
		);
	}

	/**
	 * The result of an operation that succeeded.
	 *
	 * @param string $ref    Ref.
	 * @param string $status Status.
	 * @param string $key    'user' or 'group'.
	 * @param mixed  $object Snapshot of the object, or null.
	 * @return array<string, mixed>
	 */
	public static function success( string $ref, string $status, string $key, $object ): array {
		return array(
			'ref'    => $ref,
			'ok'     => true,
			'status' => $status,
			$key     => $object,
		);
	}

	/**
	 * The result of an operation that failed.
	 *
	 * @param string          $ref   Ref.
	 * @param Operation_Error $error Error.
	 * @return array<string, mixed>
	 */
	public static function failure( string $ref, Operation_Error $error ): array {
		return array(
			'ref'   => $ref,
			'ok'    => false,
			'error' => $error->to_array(),
		);
	}

	/**
	 * Runs one operation's writes in a transaction and audits the outcome.
	 *
	 * @param string        $action    Audit action.
	 * @param int|null      $user_id   Target user (null on create, and for groups).
	 * @param string        $label     Target login (a group's name for group actions).
	 * @param string[]      $fields    Attributes being written.
	 * @param callable      $write     Does the writes; returns the outcome.
	 * @param callable      $touched   Returns the ids of users whose caches a rollback drops.
	 * @param string[]      $locks     Unique values the operation claims (see Transaction::begin()).
	 * @param callable|null $undone    Called after a rollback.
	 * @param string        $what      What failed, for the PHP error log.
	 * @return array<string, mixed> The outcome.
	 * @throws Operation_Error On failure, after rolling back.
	 */
	public function transaction( string $action, ?int $user_id, string $label, array $fields, callable $write, callable $touched, array $locks = array(), ?callable $undone = null, string $what = 'batch operation' ): array {
		$transaction = new Transaction();
		try {
			$transaction->begin( $locks );
		} catch ( Operation_Error $error ) {
			$this->audit( $action, $user_id, $label, $fields, 'failure', $error->getMessage() );
			throw $error;
		}
		try {
			$outcome = $write();
			$this->audit( $action, $outcome['user_id'] ?? $user_id, $label, $fields, 'success', null );
			$transaction->commit();
			return $outcome;
		} catch ( \Throwable $throwable ) {
			$transaction->rollback( $touched() );
			if ( null !== $undone ) {
				$undone();
			}
			$error = $throwable instanceof Operation_Error
				? $throwable
				: new Operation_Error( 500, 'usersync_internal_error', __( 'The operation failed unexpectedly; nothing was written.', 'usersync' ) );
			if ( ! $throwable instanceof Operation_Error ) {
				// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
				error_log( 'UserSync: ' . $what . ' failed: ' . $throwable );
			}
			$this->audit( $action, $user_id, $label, $fields, 'failure', $error->getMessage() );
			throw $error;
		}
	}

	/**
	 * Writes the audit row of an operation.
	 *
	 * @param string      $action  Action.
	 * @param int|null    $user_id User id.
	 * @param string      $label   Login (a group's name for group actions).
	 * @param string[]    $fields  Attribute names.
	 * @param string      $result  success|failure|skipped.
	 * @param string|null $error   Error message.
	 */
	public function audit( string $action, ?int $user_id, string $label, array $fields, string $result, ?string $error ): void {
		Plugin::audit_log()->write(
			array(
				'actor'      => 'sidecar',
				'source'     => $this->source,
				'action'     => $action,
				'user_id'    => $user_id,
				'user_login' => $label,
				'fields'     => $fields,
				'result'     => $result,
				'error'      => $error,
				'run_id'     => $this->run_id,
				'connection' => $this->connection,
			)
		);
	}
}
