<?php
/**
 * Applies a batch of group operations from one connection.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Creates, replaces, patches and deletes a connection's groups. Each operation runs in its
 * own transaction; after membership changes the roles of the affected members are
 * recomputed from the role map inside the same transaction.
 */
class Group_Writer {

	public const ACTIONS = array( 'create', 'replace', 'patch', 'delete' );

	private const OPERATION_KEYS = array( 'ref', 'action', 'id', 'ifMatch', 'group', 'addMembers', 'removeMembers' );
	private const GROUP_KEYS     = array( 'displayName', 'externalId', 'members', 'scim' );

	/**
	 * JSON schema of one operation of `groups/batch` (see User_Operation::schema()).
	 *
	 * @return array<string, mixed>
	 */
	public static function operation_schema(): array {
		$ids = array(
			'type'  => 'array',
			'items' => array(
				'type'    => 'integer',
				'minimum' => 1,
			),
		);
		return array(
			'type'                 => 'object',
			'additionalProperties' => false,
			'required'             => array( 'action' ),
			'properties'           => array(
				'ref'           => array( 'type' => array( 'string', 'integer' ) ),
				'action'        => array(
					'type' => 'string',
					'enum' => self::ACTIONS,
				),
				'id'            => array(
					'type'    => 'integer',
					'minimum' => 1,
				),
				'ifMatch'       => array( 'type' => array( 'string', 'null' ) ),
				'group'         => array(
					'type'                 => 'object',
					'additionalProperties' => false,
					'properties'           => array(
						'displayName' => array(
							'type'      => 'string',
							'maxLength' => 255,
						),
						'externalId'  => array(
							'type'      => array( 'string', 'null' ),
							'maxLength' => 255,
						),
						'members'     => $ids,
						'scim'        => array( 'type' => array( 'object', 'null' ) ),
					),
				),
				'addMembers'    => $ids,
				'removeMembers' => $ids,
			),
		);
	}

	/**
	 * What an operation that has the schema's shape still lacks for its action, or null.
	 *
	 * @param array<string, mixed> $operation Operation.
	 */
	public static function operation_problem( array $operation ): ?string {
		$action = $operation['action'];
		if ( 'create' !== $action && ! isset( $operation['id'] ) ) {
			/* translators: %s: action */
			return sprintf( __( 'An operation "%s" needs the id of the group.', 'usersync' ), $action );
		}
		if ( in_array( $action, array( 'create', 'replace' ), true ) && ! isset( $operation['group']['displayName'] ) ) {
			/* translators: %s: action */
			return sprintf( __( 'An operation "%s" needs group.displayName.', 'usersync' ), $action );
		}
		if ( 'patch' !== $action && ( isset( $operation['addMembers'] ) || isset( $operation['removeMembers'] ) ) ) {
			return __( 'addMembers and removeMembers belong to patch operations.', 'usersync' );
		}
		return null;
	}

	/**
	 * Connection slug.
	 *
	 * @var string
	 */
	private string $connection;

	/**
	 * Transaction, audit and result of each operation.
	 *
	 * @var Batch_Envelope
	 */
	private Batch_Envelope $envelope;

	/**
	 * Role map.
	 *
	 * @var Role_Mapper
	 */
	private Role_Mapper $roles;

	/**
	 * Constructor.
	 *
	 * @param string      $connection Connection slug.
	 * @param string      $source     Audit source.
	 * @param string|null $run_id     Run id.
	 */
	public function __construct( string $connection, string $source, ?string $run_id = null ) {
		$this->connection = $connection;
		$this->envelope   = new Batch_Envelope( $connection, $source, $run_id );
		$this->roles      = new Role_Mapper();
	}

	/**
	 * Applies operations in order.
	 *
	 * @param array<int, mixed> $operations Operations as decoded from JSON.
	 * @return array<int, array<string, mixed>> One result per operation.
	 */
	public function apply( array $operations ): array {
		$previous_origin = Plugin::outbox()->set_origin( $this->connection );
		$results         = array();
		foreach ( array_values( $operations ) as $index => $operation ) {
			$ref = Batch_Envelope::ref( $operation, $index );
			try {
				$op      = $this->normalize( $operation );
				// A write to an existing group holds its lock from the read its ifMatch and
				// membership are checked on to its commit; a deadlock reruns it from that read.
				$locks   = 'create' === $op['action'] ? array() : array( 'group:' . $this->connection . ':' . $op['id'] );
				$outcome = Transaction::hold( $locks, fn(): array => Transaction::retry( fn(): array => $this->apply_one( $op ) ) );
				$group   = null;
				if ( null !== $outcome['group_id'] ) {
					$row   = Plugin::groups()->get( $outcome['group_id'], $this->connection );
					$group = $row ? Plugin::groups()->snapshots( array( $row ) )[0] : null;
				}
				$results[] = Batch_Envelope::success( $ref, $outcome['status'], 'group', $group );
			} catch ( Operation_Error $error ) {
				$results[] = Batch_Envelope::failure( $ref, $error );
			}
		}
		Plugin::outbox()->set_origin( $previous_origin );
		return $results;
	}

	/**
	 * Validates one operation.
	 *
	 * @param mixed $operation Raw operation.
	 * @return array<string, mixed>
	 * @throws Operation_Error On invalid input (audited).
	 */
	private function normalize( $operation ): array {
		try {
			return $this->normalize_unaudited( $operation );
		} catch ( Operation_Error $error ) {
			$action = is_array( $operation ) && isset( $operation['action'] ) && is_string( $operation['action'] ) ? $operation['action'] : '';
			$name   = is_array( $operation ) && isset( $operation['group']['displayName'] ) && is_string( $operation['group']['displayName'] ) ? $operation['group']['displayName'] : '';
			$this->audit( self::audit_action( $action ), $name, array(), 'failure', $error->getMessage() );
			throw $error;
		}
	}

	/**
	 * Validates one operation.
	 *
	 * @param mixed $operation Raw operation.
	 * @return array<string, mixed>
	 * @throws Operation_Error On invalid input.
	 */
	private function normalize_unaudited( $operation ): array {
		$header   = Batch_Envelope::header( $operation, self::OPERATION_KEYS, self::ACTIONS, __( 'id must be the positive integer id of a group.', 'usersync' ) );
		$action   = $header['action'];
		$id       = $header['id'];
		$if_match = $header['ifMatch'];

		$group = array();
		if ( 'delete' !== $action ) {
			$raw = $operation['group'] ?? array();
			if ( ! Json::is_object( $raw ) ) {
				throw Operation_Error::invalid( 'usersync_invalid_group', __( 'group must be a JSON object.', 'usersync' ) );
			}
			$unknown = array_diff( array_keys( $raw ), self::GROUP_KEYS );
			if ( $unknown ) {
				/* translators: %s: field names */
				throw Operation_Error::invalid( 'usersync_invalid_group', sprintf( __( 'Unknown group field(s): %s.', 'usersync' ), implode( ', ', $unknown ) ) );
			}
			if ( array_key_exists( 'displayName', $raw ) || in_array( $action, array( 'create', 'replace' ), true ) ) {
				$name = $raw['displayName'] ?? null;
				if ( ! is_string( $name ) || '' === trim( $name ) || mb_strlen( $name ) > 255 ) {
					throw Operation_Error::invalid( 'usersync_invalid_group', __( 'displayName must be a non-empty string of at most 255 characters.', 'usersync' ) );
				}
				$group['displayName'] = trim( $name );
			}
			if ( array_key_exists( 'externalId', $raw ) ) {
				$external_id = $raw['externalId'];
				if ( null !== $external_id && ( ! is_string( $external_id ) || mb_strlen( $external_id ) > 255 ) ) {
					throw Operation_Error::invalid( 'usersync_invalid_external_id', __( 'externalId must be a string of at most 255 characters, or null.', 'usersync' ) );
				}
				$group['externalId'] = '' === $external_id ? null : $external_id;
			}
			if ( array_key_exists( 'members', $raw ) ) {
				$group['members'] = self::ids( $raw['members'], 'members' );
			}
			if ( array_key_exists( 'scim', $raw ) ) {
				$scim = $raw['scim'];
				if ( null !== $scim && ! Json::is_object( $scim ) ) {
					throw Operation_Error::invalid( 'usersync_invalid_scim', __( 'scim must be a JSON object or null.', 'usersync' ) );
				}
				$group['scim'] = $scim;
			}
		}

		$add    = array();
		$remove = array();
		if ( isset( $operation['addMembers'] ) || isset( $operation['removeMembers'] ) ) {
			if ( 'patch' !== $action ) {
				throw Operation_Error::invalid( 'usersync_invalid_operation', __( 'addMembers and removeMembers belong to patch operations.', 'usersync' ) );
			}
			$add    = self::ids( $operation['addMembers'] ?? array(), 'addMembers' );
			$remove = self::ids( $operation['removeMembers'] ?? array(), 'removeMembers' );
		}

		return array(
			'action'  => $action,
			'id'      => $id,
			'ifMatch' => $if_match,
			'group'   => $group,
			'add'     => $add,
			'remove'  => $remove,
		);
	}

	/**
	 * Applies one validated operation.
	 *
	 * @param array<string, mixed> $op Operation.
	 * @return array{status: string, group_id: ?int}
	 * @throws Operation_Error On failure (nothing written).
	 */
	private function apply_one( array $op ): array {
		$groups = Plugin::groups();

		if ( 'create' === $op['action'] ) {
			$name    = $op['group']['displayName'];
			$members = $op['group']['members'] ?? array();
			$this->guard( 'group_create', $name, array( 'displayName', 'members' ), fn() => $this->check_unique( $name, null ) );
			$this->guard( 'group_create', $name, array( 'members' ), fn() => $this->check_members( $members ) );
			$fields = array_keys( $op['group'] );
			return $this->transaction(
				'group_create',
				$name,
				$fields,
				$members,
				function () use ( $groups, $op, $name, $members ): array {
					$id = $groups->insert( $this->connection, $name, $op['group']['externalId'] ?? null, $op['group']['scim'] ?? null );
					if ( false === $id ) {
						$this->check_unique( $name, null ); // A concurrent request took the name (unique index).
						throw new Operation_Error( 500, 'usersync_write_failed', __( 'The group could not be stored.', 'usersync' ) );
					}
					if ( ! $groups->add_members( $id, $members ) ) {
						throw new Operation_Error( 500, 'usersync_write_failed', __( 'The group members could not be stored.', 'usersync' ) );
					}
					$this->roles->recompute( $members, $this->connection );
					return array(
						'status'   => 'created',
						'group_id' => $id,
					);
				}
			);
		}

		$row = $groups->get( $op['id'], $this->connection );
		$this->guard(
			self::audit_action( $op['action'] ),
			$row ? (string) $row->display_name : '',
			array(),
			function () use ( $row, $op, $groups ): void {
				if ( ! $row ) {
					/* translators: 1: group id, 2: connection */
					throw new Operation_Error( 404, 'usersync_group_not_found', sprintf( __( 'There is no group %1$d in the connection "%2$s".', 'usersync' ), $op['id'], $this->connection ) );
				}
				if ( null !== $op['ifMatch'] ) {
					$current = $groups->snapshots( array( $row ), false )[0]['version'];
					if ( ! hash_equals( $current, $op['ifMatch'] ) ) {
						/* translators: 1: expected version, 2: current version */
						throw new Operation_Error( 412, 'usersync_precondition_failed', sprintf( __( 'The group changed since it was read (ifMatch %1$s, current %2$s).', 'usersync' ), $op['ifMatch'], $current ) );
					}
				}
			}
		);
		$id      = (int) $row->id;
		$name    = (string) $row->display_name;
		$current = $groups->member_ids( array( $id ) )[ $id ];

		if ( 'delete' === $op['action'] ) {
			return $this->transaction(
				'group_delete',
				$name,
				array(),
				$current,
				function () use ( $groups, $id, $current ): array {
					if ( ! $groups->delete( $id ) ) {
						throw new Operation_Error( 500, 'usersync_write_failed', __( 'The group could not be deleted.', 'usersync' ) );
					}
					$this->roles->recompute( $current, $this->connection );
					return array(
						'status'   => 'deleted',
						'group_id' => null,
					);
				}
			);
		}

		// replace sets every field (absent = empty); patch only the ones present.
		$target = $op['group'];
		if ( 'replace' === $op['action'] ) {
			$target += array(
				'externalId' => null,
				'members'    => array(),
				'scim'       => null,
			);
		}
		$members = $target['members'] ?? $current;
		$members = array_values( array_diff( array_unique( array_merge( $members, $op['add'] ) ), $op['remove'] ) );
		sort( $members );

		$fields = array();
		if ( isset( $target['displayName'] ) && $target['displayName'] !== $name ) {
			$fields['display_name'] = $target['displayName'];
		}
		if ( array_key_exists( 'externalId', $target ) && $target['externalId'] !== ( null === $row->external_id || '' === $row->external_id ? null : (string) $row->external_id ) ) {
			$fields['external_id'] = $target['externalId'];
		}
		if ( array_key_exists( 'scim', $target ) ) {
			$stored = null === $row->scim ? null : json_decode( (string) $row->scim, true );
			if ( $stored != $target['scim'] ) { // phpcs:ignore Universal.Operators.StrictComparisons -- key order of JSON objects does not matter.
				$fields['scim'] = $target['scim'];
			}
		}
		$added   = array_values( array_diff( $members, $current ) );
		$removed = array_values( array_diff( $current, $members ) );

		$changed = array_keys( $fields );
		if ( $added || $removed ) {
			$changed[] = 'members';
		}
		$changed = array_map(
			static fn( string $name ): string => array(
				'display_name' => 'displayName',
				'external_id'  => 'externalId',
			)[ $name ] ?? $name,
			$changed
		);

		if ( ! $changed ) {
			$this->audit( 'group_update', $name, array(), 'skipped', null );
			return array(
				'status'   => 'unchanged',
				'group_id' => $id,
			);
		}

		if ( isset( $fields['display_name'] ) ) {
			$new_name = $fields['display_name'];
			$this->guard( 'group_update', $name, array( 'displayName' ), fn() => $this->check_unique( $new_name, $id ) );
		}
		$this->guard( 'group_update', $name, array( 'members' ), fn() => $this->check_members( $added ) );

		// A renamed group may match other role rules: every member is affected.
		$affected = isset( $fields['display_name'] ) ? array_unique( array_merge( $current, $members ) ) : array_merge( $added, $removed );

		return $this->transaction(
			'group_update',
			$name,
			$changed,
			$affected,
			function () use ( $groups, $id, $fields, $added, $removed, $affected ): array {
				$ok = $groups->update( $id, $fields )
					&& $groups->add_members( $id, $added )
					&& $groups->remove_members( $id, $removed );
				if ( ! $ok ) {
					if ( isset( $fields['display_name'] ) ) {
						$this->check_unique( $fields['display_name'], $id ); // A concurrent request took the name.
					}
					throw new Operation_Error( 500, 'usersync_write_failed', __( 'The group could not be updated.', 'usersync' ) );
				}
				$this->roles->recompute( $affected, $this->connection );
				return array(
					'status'   => 'updated',
					'group_id' => $id,
				);
			}
		);
	}

	/**
	 * 409 when another group of the connection has this display name.
	 *
	 * @param string   $name Display name.
	 * @param int|null $self Id of the group being renamed.
	 * @throws Operation_Error On conflict.
	 */
	private function check_unique( string $name, ?int $self ): void {
		$existing = Plugin::groups()->id_by_display_name( $this->connection, $name );
		if ( null !== $existing && $existing !== $self ) {
			/* translators: %s: group name */
			throw new Operation_Error( 409, 'usersync_group_exists', sprintf( __( 'A group named "%s" already exists in this connection.', 'usersync' ), $name ), 'uniqueness' );
		}
	}

	/**
	 * 400 invalidValue unless every id is a user linked to the connection.
	 *
	 * @param int[] $user_ids User ids.
	 * @throws Operation_Error On an unknown or unlinked user.
	 */
	private function check_members( array $user_ids ): void {
		global $wpdb;
		if ( ! $user_ids ) {
			return;
		}
		$ids = implode( ',', array_map( 'intval', $user_ids ) );
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$linked  = array_map( 'intval', $wpdb->get_col( $wpdb->prepare( "SELECT u.ID FROM {$wpdb->users} u INNER JOIN {$wpdb->usermeta} m ON m.user_id = u.ID AND m.meta_key = %s WHERE u.ID IN ($ids)", Connection::link_key( $this->connection ) ) ) );
		$missing = array_values( array_diff( $user_ids, $linked ) );
		if ( $missing ) {
			throw Operation_Error::invalid(
				'usersync_invalid_member',
				/* translators: 1: user ids, 2: connection */
				sprintf( __( 'Members must be users linked to the connection "%2$s"; these are not: %1$s.', 'usersync' ), implode( ', ', $missing ), $this->connection )
			);
		}
	}

	/**
	 * Runs a check; audits and rethrows its failure.
	 *
	 * @param string   $action Audit action.
	 * @param string   $name   Group name.
	 * @param string[] $fields Attributes.
	 * @param callable $check  Throws Operation_Error.
	 * @throws Operation_Error When the check fails.
	 */
	private function guard( string $action, string $name, array $fields, callable $check ): void {
		try {
			$check();
		} catch ( Operation_Error $error ) {
			$this->audit( $action, $name, $fields, 'failure', $error->getMessage() );
			throw $error;
		}
	}

	/**
	 * Runs one operation's writes in a transaction and audits the outcome.
	 *
	 * @param string   $action   Audit action.
	 * @param string   $name     Group display name.
	 * @param string[] $fields   Attributes written.
	 * @param int[]    $affected Users whose roles may change.
	 * @param callable $write    The writes; returns the outcome.
	 * @return array{status: string, group_id: ?int}
	 * @throws Operation_Error On failure, after rolling back.
	 */
	private function transaction( string $action, string $name, array $fields, array $affected, callable $write ): array {
		return $this->envelope->transaction( $action, null, $name, $fields, $write, static fn(): array => $affected, array(), null, 'group operation' );
	}

	/**
	 * Writes an audit row. For group actions the `user_login` column holds the group's name.
	 *
	 * @param string      $action Action.
	 * @param string      $name   Group display name.
	 * @param string[]    $fields Attributes.
	 * @param string      $result success|failure|skipped.
	 * @param string|null $error  Message.
	 */
	private function audit( string $action, string $name, array $fields, string $result, ?string $error ): void {
		$this->envelope->audit( $action, null, $name, $fields, $result, $error );
	}

	/**
	 * Audit action of an operation action.
	 *
	 * @param string $action Operation action.
	 */
	private static function audit_action( string $action ): string {
		$map = array(
			'create'  => 'group_create',
			'replace' => 'group_update',
			'patch'   => 'group_update',
			'delete'  => 'group_delete',
		);
		return $map[ $action ] ?? 'invalid';
	}

	/**
	 * A list of positive user ids.
	 *
	 * @param mixed  $value Raw value.
	 * @param string $field Field name for the message.
	 * @return int[] Sorted, unique.
	 * @throws Operation_Error When not such a list.
	 */
	private static function ids( $value, string $field ): array {
		if ( ! is_array( $value ) || ! Json::is_list( $value ) ) {
			/* translators: %s: field name */
			throw Operation_Error::invalid( 'usersync_invalid_member', sprintf( __( '%s must be an array of user ids.', 'usersync' ), $field ) );
		}
		$ids = array();
		foreach ( $value as $id ) {
			if ( is_string( $id ) && ctype_digit( $id ) ) {
				$id = (int) $id;
			}
			if ( ! is_int( $id ) || $id <= 0 ) {
				/* translators: %s: field name */
				throw Operation_Error::invalid( 'usersync_invalid_member', sprintf( __( '%s must be an array of user ids.', 'usersync' ), $field ) );
			}
			$ids[] = $id;
		}
		$ids = array_values( array_unique( $ids ) );
		sort( $ids );
		return $ids;
	}
}
