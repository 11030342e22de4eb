#ifndef SWITCHYARD_CMPI_SHIM_H
#define SWITCHYARD_CMPI_SHIM_H
// Open MPI defines its handles (MPI_COMM_WORLD, MPI_BYTE, ...) as macros that cast the
// address of a global, which Swift's importer cannot see. These inline functions hand them over.
#include <mpi.h>

static inline MPI_Comm sy_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype sy_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype sy_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype sy_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype sy_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op sy_mpi_op_sum(void) { return MPI_SUM; }
static inline MPI_Op sy_mpi_op_max(void) { return MPI_MAX; }
static inline MPI_Request sy_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *sy_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int sy_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int sy_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int sy_mpi_success(void) { return MPI_SUCCESS; }
static inline int sy_mpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
static inline int sy_mpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
static inline int sy_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int sy_mpi_status_source(const MPI_Status *s) { return s->MPI_SOURCE; }
static inline int sy_mpi_status_tag(const MPI_Status *s) { return s->MPI_TAG; }
static inline MPI_Errhandler sy_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Status *sy_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int sy_mpi_status_error(const MPI_Status *s) { return s->MPI_ERROR; }
static inline int sy_mpi_undefined(void) { return MPI_UNDEFINED; }
static inline int sy_mpi_err_in_status(void) { return MPI_ERR_IN_STATUS; }
static inline int sy_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info sy_mpi_info_null(void) { return MPI_INFO_NULL; }

#endif
