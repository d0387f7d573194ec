#include <stdio.h>
int main(void)
{
	fputs("valet: under construction\n", stderr);
	return 2;
}
